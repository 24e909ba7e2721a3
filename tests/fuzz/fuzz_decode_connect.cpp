// A CONNECT body straight into the decoder (mqtt/decode_connect.cpp), with
// no parser in front: every field, flag and property combination of 3.1,
// 3.1.1 and 5.0. An accepted CONNECT must re-encode to one that decodes the
// same, and the version read from the body must be the one decoded.

#include <variant>

#include "fuzz_util.hpp"
#include "mqtt/decode.hpp"
#include "mqtt/encode.hpp"
#include "mqtt/reader.hpp"

using namespace actormq::mqtt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> body(data, size);
  const FixedHeader header{PacketType::connect, 0, static_cast<std::uint32_t>(size), 2};
  Result<Packet> decoded = decode_packet(header, body, ProtocolVersion::v5);
  if (!decoded.ok()) {
    FUZZ_CHECK(!decoded.error().reason.empty());
    return 0;
  }
  const auto* connect = std::get_if<Connect>(&*decoded);
  FUZZ_CHECK(connect != nullptr);
  FUZZ_CHECK(connect_protocol_version(body) == connect->version);
  Result<std::vector<std::uint8_t>> bytes = encode(*connect, connect->version);
  FUZZ_CHECK(bytes.ok());
  // What we encoded: type 1, its remaining length, the body.
  Reader in(std::span<const std::uint8_t>(*bytes).subspan(1));
  Result<std::uint32_t> length = in.varint();
  FUZZ_CHECK(length.ok() && *length == in.remaining());
  const auto header_size = static_cast<std::uint8_t>(1 + in.position());
  const FixedHeader again{PacketType::connect, 0, *length, header_size};
  Result<Packet> redecoded =
      decode_packet(again, std::span<const std::uint8_t>(*bytes).subspan(header_size), ProtocolVersion::v5);
  FUZZ_CHECK(redecoded.ok());
  FUZZ_CHECK(*redecoded == *decoded);
  return 0;
}
