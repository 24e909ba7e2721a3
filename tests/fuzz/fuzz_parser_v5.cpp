// One MQTT 5.0 connection's bytes, in socket-like chunks (parser_target.hpp).

#include "parser_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return actormq::fuzz::run_parser(data, size, actormq::mqtt::ProtocolVersion::v5);
}
