#include "mqtt/parser.hpp"

#include <doctest/doctest.h>

#include "test_util.hpp"

using namespace actormq::mqtt;
using namespace actormq::mqtt::test;

namespace {

// mosquitto_pub -V mqttv311 -i test -k 60: CONNECT, then PUBLISH "a" = "b", DISCONNECT.
const Bytes connect_311 = hex("10 10 00 04 'MQTT' 04 02 00 3c 00 04 'test'");
const Bytes publish_311 = hex("30 04 00 01 'a' 'b'");
const Bytes disconnect = hex("e0 00");

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

}  // namespace

TEST_CASE("fixed header: need more until the remaining length is complete") {
  CHECK(parse_fixed_header(Bytes{}, 1000).status == ParseStatus::need_more);
  CHECK(parse_fixed_header(hex("30"), 1000).status == ParseStatus::need_more);
  CHECK(parse_fixed_header(hex("30 80"), 1000).status == ParseStatus::need_more);
  auto h = parse_fixed_header(hex("30 80 01"), 1000);
  REQUIRE(h.status == ParseStatus::packet);
  CHECK(h.header.type == PacketType::publish);
  CHECK(h.header.remaining_length == 128);
  CHECK(h.header.size == 3);
  CHECK(h.header.total_size() == 131);
}

TEST_CASE("fixed header: remaining length longer than 4 bytes is rejected at byte 5") {
  auto h = parse_fixed_header(hex("30 ff ff ff ff"), max_packet_size_limit);
  REQUIRE(h.status == ParseStatus::error);
  CHECK(h.error.code == ErrorCode::bad_remaining_length);
  CHECK(parse_fixed_header(hex("30 ff ff ff"), max_packet_size_limit).status ==
        ParseStatus::need_more);
}

TEST_CASE("fixed header: overlong remaining length") {
  auto h = parse_fixed_header(hex("30 80 00"), 1000);
  REQUIRE(h.status == ParseStatus::error);
  CHECK(h.error.code == ErrorCode::bad_remaining_length);
}

TEST_CASE("fixed header: reserved packet type 0") {
  auto h = parse_fixed_header(hex("00 00"), 1000);
  REQUIRE(h.status == ParseStatus::error);
  CHECK(h.error.code == ErrorCode::reserved_packet_type);
}

TEST_CASE("oversize packet is rejected from its header alone, before the body") {
  // Remaining length 1000, only the header present: the limit is 100.
  Parser parser(ParserOptions{100, ProtocolVersion::v5});
  Parsed r = parser.parse(hex("30 e8 07"));
  REQUIRE(r.status == ParseStatus::error);
  CHECK(r.error.code == ErrorCode::packet_too_large);
  CHECK(to_reason_code(r.error.code) == ReasonCode::packet_too_large);
  CHECK(parser.buffered() == 0);
  // The limit counts the fixed header: a 2-byte PINGREQ passes a limit of 2, not 1.
  CHECK(parse_one(hex("c0 00"), ProtocolVersion::v5, 2).status == ParseStatus::packet);
  CHECK(parse_one(hex("c0 00"), ProtocolVersion::v5, 1).error.code ==
        ErrorCode::packet_too_large);
  // Byte by byte, the error comes as soon as the length is known.
  Parser slow(ParserOptions{100, ProtocolVersion::v5});
  CHECK(slow.parse(hex("30")).status == ParseStatus::need_more);
  CHECK(slow.parse(hex("e8")).status == ParseStatus::need_more);
  CHECK(slow.parse(hex("07")).error.code == ErrorCode::packet_too_large);
}

TEST_CASE("parse_frame consumes nothing on need more and exactly one packet otherwise") {
  Bytes stream = concat({connect_311, publish_311});
  ParserOptions options{};
  Parsed r = parse_frame(std::span(stream).first(5), options);
  CHECK(r.status == ParseStatus::need_more);
  CHECK(r.consumed == 0);
  CHECK(r.frame_size == connect_311.size());
  r = parse_frame(stream, options);
  REQUIRE(r.status == ParseStatus::packet);
  CHECK(r.consumed == connect_311.size());
  CHECK(r.version == ProtocolVersion::v3_1_1);
  const auto& c = std::get<Connect>(r.packet);
  CHECK(c.client_id == "test");
  CHECK(c.keep_alive == 60);
  CHECK(c.clean_start);
  r = parse_frame(std::span(stream).subspan(r.consumed), options);
  REQUIRE(r.status == ParseStatus::packet);
  const auto& p = std::get<Publish>(r.packet);
  CHECK(p.topic == "a");
  CHECK(p.payload.view() == "b");
}

TEST_CASE("several packets in one buffer") {
  Bytes stream = concat({connect_311, publish_311, publish_311, disconnect});
  auto results = parse_chunked(stream, stream.size());
  REQUIRE(results.size() == 4);
  CHECK(std::holds_alternative<Connect>(results[0].packet));
  CHECK(std::holds_alternative<Publish>(results[1].packet));
  CHECK(std::holds_alternative<Publish>(results[2].packet));
  CHECK(std::holds_alternative<Disconnect>(results[3].packet));
}

TEST_CASE("every chunk size gives the same packets as parsing at once") {
  Bytes stream = concat({connect_311, publish_311, hex("c0 00"), publish_311, disconnect});
  auto whole = parse_chunked(stream, stream.size());
  REQUIRE(whole.size() == 5);
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    CAPTURE(chunk);
    auto parts = parse_chunked(stream, chunk);
    REQUIRE(parts.size() == whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
      CHECK(parts[i].status == ParseStatus::packet);
      CHECK(parts[i].packet == whole[i].packet);
    }
  }
}

TEST_CASE("the parser keeps only the partial packet and frees it afterwards") {
  Parser parser;
  Bytes stream = concat({connect_311, publish_311});
  Parsed r = parser.parse(std::span(stream).first(3));
  CHECK(r.status == ParseStatus::need_more);
  CHECK(r.consumed == 3);
  CHECK(parser.buffered() == 3);
  r = parser.parse(std::span(stream).subspan(3));
  REQUIRE(r.status == ParseStatus::packet);
  CHECK(r.consumed == connect_311.size() - 3);  // stops at the packet boundary
  CHECK(parser.buffered() == 0);
  CHECK(parser.version() == ProtocolVersion::v3_1_1);
}

TEST_CASE("a header split inside a tiny packet does not take bytes of the next one") {
  Parser parser;
  CHECK(parser.parse(hex("c0")).status == ParseStatus::need_more);
  Bytes rest = concat({hex("00"), publish_311});
  Parsed r = parser.parse(rest);
  REQUIRE(r.status == ParseStatus::packet);
  CHECK(std::holds_alternative<Pingreq>(r.packet));
  CHECK(r.consumed == 1);
}

TEST_CASE("CONNECT sets the parser version") {
  Parser parser;  // defaults to 3.1.1
  Bytes v5_connect = hex("10 0d 00 04 'MQTT' 05 02 00 3c 00 00 00");
  Parsed r = parser.parse(v5_connect);
  REQUIRE(r.status == ParseStatus::packet);
  CHECK(r.version == ProtocolVersion::v5);
  CHECK(parser.version() == ProtocolVersion::v5);
  // A 5.0 DISCONNECT with a reason code is now understood.
  r = parser.parse(hex("e0 01 8e"));
  REQUIRE(r.status == ParseStatus::packet);
  CHECK(std::get<Disconnect>(r.packet).reason_code == ReasonCode::session_taken_over);
}

TEST_CASE("a CONNECT that fails after its level still reports the client's version") {
  // Level 5, reserved flag bit set.
  Parser parser;
  Parsed r = parser.parse(hex("10 0d 00 04 'MQTT' 05 03 00 3c 00 00 00"));
  REQUIRE(r.status == ParseStatus::error);
  CHECK(r.error.code == ErrorCode::connect_reserved_flag);
  CHECK(r.version == ProtocolVersion::v5);
}

TEST_CASE("input after an empty feed") {
  Parser parser;
  Parsed r = parser.parse(Bytes{});
  CHECK(r.status == ParseStatus::need_more);
  CHECK(r.consumed == 0);
  CHECK(parser.buffered() == 0);
}

TEST_CASE("a large announced packet does not reserve its whole size up front") {
  Parser parser(ParserOptions{16 * 1024 * 1024, ProtocolVersion::v5});
  // PUBLISH announcing 16 MB - 5 bytes of body; only the header arrives.
  Parsed r = parser.parse(hex("30 fb ff ff 07"));
  CHECK(r.status == ParseStatus::need_more);
  CHECK(r.frame_size == 16 * 1024 * 1024);
  CHECK(parser.buffered() == 5);
}

TEST_CASE("a server's parser refuses a first byte other than CONNECT's at once") {
  ParserOptions server;
  server.connect_first = true;
  // "GET / HTTP/1.1": 'G' (0x47) would be a PUBACK with flags 7, and 'E' a
  // remaining length of 69: refused at the first byte, not after 71.
  for (const Bytes& first : {hex("'G'"), hex("'GET / HTTP/1.1'"), hex("30"), hex("11"), hex("20")}) {
    Parser parser(server);
    Parsed r = parser.parse(first);
    REQUIRE(r.status == ParseStatus::error);
    CHECK(r.error.code == ErrorCode::connect_expected);
    CHECK(to_reason_code(r.error.code) == ReasonCode::protocol_error);
    CHECK(parser.buffered() == 0);
  }
  // A CONNECT's first byte waits for the rest, which then parses as usual;
  // after it, any packet may follow.
  Parser parser(server);
  CHECK(parser.parse(hex("10")).status == ParseStatus::need_more);
  Parsed r = parser.parse(std::span(connect_311).subspan(1));
  REQUIRE(r.status == ParseStatus::packet);
  r = parser.parse(publish_311);
  REQUIRE(r.status == ParseStatus::packet);
  CHECK(std::holds_alternative<Publish>(r.packet));
  // Without the option (a client's view, tests) the first packet is any packet.
  CHECK(parse_one(publish_311, ProtocolVersion::v3_1_1).status == ParseStatus::packet);
}

namespace actormq::mqtt {

TEST_CASE("parser: a packet size limit past the protocol's is the protocol's, and costs 8 bytes of options") {
  static_assert(sizeof(ParserOptions) == 8);
  Parser parser;
  parser.set_max_packet_size(std::size_t{1} << 40);
  CHECK(parser.max_packet_size() == max_packet_size_limit);
  parser.set_max_packet_size(100);
  CHECK(parser.max_packet_size() == 100);
}

}  // namespace actormq::mqtt
