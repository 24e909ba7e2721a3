// The umbrella header is self-contained and the forward declarations agree
// with the definitions.

#include "mqtt/fwd.hpp"
#include "mqtt/codec.hpp"

#include <doctest/doctest.h>

using namespace actormq::mqtt;

TEST_CASE("codec.hpp: parse a packet, answer it, share the payload") {
  Parser parser;
  const std::uint8_t connect[] = {0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
                                  0x02, 0x00, 0x3c, 0x00, 0x00, 0x00};
  Parsed r = parser.parse(connect);
  REQUIRE(r.status == ParseStatus::packet);
  REQUIRE(parser.version() == ProtocolVersion::v5);
  auto connack = encode(Connack{}, parser.version());
  REQUIRE(connack.ok());
  CHECK(connack->size() == 5);
  const std::uint8_t publish[] = {0x30, 0x06, 0x00, 0x01, 'a', 0x00, 'h', 'i'};
  r = parser.parse(publish);
  REQUIRE(r.status == ParseStatus::packet);
  auto& p = std::get<Publish>(r.packet);
  CHECK(topic_matches("+", p.topic));
  SharedBytes fan_out = p.payload;
  CHECK(fan_out.use_count() == 2);
}
