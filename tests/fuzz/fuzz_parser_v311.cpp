// One MQTT 3.1.1 connection's bytes, in socket-like chunks (parser_target.hpp).

#include "parser_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return actormq::fuzz::run_parser(data, size, actormq::mqtt::ProtocolVersion::v3_1_1);
}
