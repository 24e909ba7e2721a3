// An MQTT 5.0 property list (mqtt/properties.cpp) in the packet the first
// byte names: a list decoded must re-encode to the bytes it was read from,
// up to the order of the properties, i.e. to a list that decodes the same.

#include <vector>

#include "fuzz_util.hpp"
#include "mqtt/properties.hpp"

using namespace actormq::mqtt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  // Low nibble: packet type 1..15 (0 stands for 15); bit 4: will properties.
  const auto type = static_cast<PacketType>((data[0] & 0x0F) == 0 ? 15 : data[0] & 0x0F);
  const PropertyContext ctx{type, (data[0] & 0x10) != 0};
  Reader in(std::span<const std::uint8_t>(data + 1, size - 1));
  Result<Properties> props = decode_properties(in, ctx);
  if (!props.ok()) {
    FUZZ_CHECK(!props.error().reason.empty());
    return 0;
  }
  Result<std::size_t> body = properties_body_size(*props);
  FUZZ_CHECK(body.ok());
  std::vector<std::uint8_t> bytes(properties_wire_size(*body));
  Writer out(bytes);
  write_properties(out, *props, *body);
  // The list read had the same properties, in any order: same size.
  FUZZ_CHECK(bytes.size() == in.position());
  Reader again(bytes);
  Result<Properties> decoded = decode_properties(again, ctx);
  FUZZ_CHECK(decoded.ok());
  FUZZ_CHECK(again.at_end());
  FUZZ_CHECK(*decoded == *props);
  return 0;
}
