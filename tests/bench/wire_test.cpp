#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/bench/wire.hpp"

using namespace mqttbench;

namespace {

std::vector<uint8_t> bytes(const OutBuffer& b) {
    return {b.data(), b.data() + b.size()};
}

struct Collected {
    std::vector<PacketType> types;
    std::vector<std::vector<uint8_t>> bodies;
};

Collected feed_in_pieces(const std::vector<uint8_t>& stream, size_t piece) {
    FrameParser parser;
    Collected out;
    for (size_t off = 0; off < stream.size(); off += piece) {
        size_t n = std::min(piece, stream.size() - off);
        ParseError e = parser.feed(std::span<const uint8_t>(stream.data() + off, n), [&](const Packet& p) {
            out.types.push_back(p.type);
            out.bodies.emplace_back(p.body.begin(), p.body.end());
        });
        REQUIRE(e == ParseError::none);
    }
    CHECK(parser.buffered() == 0);
    return out;
}

}  // namespace

TEST_CASE("CONNECT 3.1.1 encodes to the spec's byte layout") {
    OutBuffer b;
    encode_connect(b, ConnectOptions{"ab", 60, true, Version::v311});
    std::vector<uint8_t> want{0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 2, 'a', 'b'};
    CHECK(bytes(b) == want);
}

TEST_CASE("CONNECT 5.0 carries an empty property block") {
    OutBuffer b;
    encode_connect(b, ConnectOptions{"c", 30, true, Version::v5});
    std::vector<uint8_t> want{0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 30, 0, 0, 1, 'c'};
    CHECK(bytes(b) == want);
}

TEST_CASE("SUBSCRIBE has flags 0b0010 and the requested QoS") {
    OutBuffer b;
    encode_subscribe(b, 7, "a/+", 1, Version::v311);
    std::vector<uint8_t> want{0x82, 8, 0, 7, 0, 3, 'a', '/', '+', 1};
    CHECK(bytes(b) == want);
    OutBuffer b5;
    encode_subscribe(b5, 7, "a/+", 2, Version::v5);
    std::vector<uint8_t> want5{0x82, 9, 0, 7, 0, 0, 3, 'a', '/', '+', 2};
    CHECK(bytes(b5) == want5);
}

TEST_CASE("PUBREL has flags 0b0010, the other acks none") {
    OutBuffer b;
    encode_ack(b, PacketType::pubrel, 0x1234);
    encode_ack(b, PacketType::puback, 1);
    std::vector<uint8_t> want{0x62, 2, 0x12, 0x34, 0x40, 2, 0, 1};
    CHECK(bytes(b) == want);
}

TEST_CASE("PUBLISH round-trips through the parser for 3.1.1 and 5.0, QoS 0-2") {
    for (Version v : {Version::v311, Version::v5}) {
        for (uint8_t qos = 0; qos <= 2; ++qos) {
            OutBuffer b;
            std::string payload(300, 'p');  // two-byte remaining length
            encode_publish_header(b, "x/y", qos, qos == 1, 42, payload.size(), v);
            b.put_bytes(payload.data(), payload.size());
            FrameParser parser;
            int seen = 0;
            auto e = parser.feed(std::span<const uint8_t>(b.data(), b.size()), [&](const Packet& p) {
                ++seen;
                REQUIRE(p.type == PacketType::publish);
                auto d = decode_publish(p, v);
                REQUIRE(d.status == DecodeStatus::ok);
                CHECK(d.value.topic == "x/y");
                CHECK(d.value.qos == qos);
                CHECK(d.value.retain == (qos == 1));
                CHECK(d.value.packet_id == (qos > 0 ? 42 : 0));
                CHECK(d.value.payload.size() == payload.size());
            });
            CHECK(e == ParseError::none);
            CHECK(seen == 1);
        }
    }
}

TEST_CASE("packets split at every possible byte boundary come out whole and in order") {
    OutBuffer b;
    encode_ack(b, PacketType::puback, 1);
    std::string big(20000, 'z');  // three-byte remaining length
    encode_publish_header(b, "t", 1, false, 9, big.size(), Version::v311);
    b.put_bytes(big.data(), big.size());
    encode_pingreq(b);
    encode_subscribe(b, 3, "#", 0, Version::v5);
    std::vector<uint8_t> stream = bytes(b);
    Collected whole = feed_in_pieces(stream, stream.size());
    REQUIRE(whole.types.size() == 4);
    for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{7}, size_t{4096}}) {
        Collected split = feed_in_pieces(stream, piece);
        CHECK(split.types == whole.types);
        CHECK(split.bodies == whole.bodies);
    }
}

TEST_CASE("a remaining length longer than four bytes is rejected") {
    std::vector<uint8_t> bad{0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    FrameParser parser;
    CHECK(parser.feed(bad, [](const Packet&) {}) == ParseError::bad_length);
}

TEST_CASE("a packet above the size limit is rejected before it is buffered") {
    OutBuffer b;
    encode_publish_header(b, "t", 0, false, 0, 5000, Version::v311);
    FrameParser parser(1024);
    CHECK(parser.feed(std::span<const uint8_t>(b.data(), b.size()), [](const Packet&) {}) == ParseError::too_large);
}

TEST_CASE("CONNACK v5 reads Receive Maximum among other properties") {
    // flags, reason, props len, 0x22 topic alias max (2), 0x21 receive max (2), 0x1F reason string
    std::vector<uint8_t> body{0, 0, 10, 0x22, 0, 10, 0x21, 0, 20, 0x1F, 0, 1, 'r'};
    Packet p{PacketType::connack, 0, body};
    auto d = decode_connack(p, Version::v5);
    REQUIRE(d.status == DecodeStatus::ok);
    CHECK(d.value.receive_maximum == 20);
    std::vector<uint8_t> unknown{0, 0, 2, 0x7F, 0};
    CHECK(decode_connack(Packet{PacketType::connack, 0, unknown}, Version::v5).status == DecodeStatus::malformed);
    std::vector<uint8_t> refused{1, 5};
    auto r = decode_connack(Packet{PacketType::connack, 0, refused}, Version::v311);
    CHECK(r.value.session_present);
    CHECK(r.value.reason == 5);
}

TEST_CASE("a PUBLISH truncated inside its topic is malformed") {
    std::vector<uint8_t> body{0, 10, 'a'};
    CHECK(decode_publish(Packet{PacketType::publish, 0, body}, Version::v311).status == DecodeStatus::malformed);
    std::vector<uint8_t> zero_id{0, 1, 'a', 0, 0};
    CHECK(decode_publish(Packet{PacketType::publish, 0x02, zero_id}, Version::v311).status == DecodeStatus::malformed);
}

TEST_CASE("topic filters match per MQTT 3.1.1 section 4.7") {
    CHECK(topic_matches("a/b", "a/b"));
    CHECK_FALSE(topic_matches("a/b", "a/c"));
    CHECK(topic_matches("a/+", "a/b"));
    CHECK_FALSE(topic_matches("a/+", "a/b/c"));
    CHECK(topic_matches("a/#", "a"));
    CHECK(topic_matches("a/#", "a/b/c"));
    CHECK(topic_matches("#", "a/b"));
    CHECK(topic_matches("+/+", "/x"));
    CHECK(topic_matches("a/+/c", "a//c"));
    CHECK_FALSE(topic_matches("#", "$SYS/x"));
    CHECK_FALSE(topic_matches("+/x", "$SYS/x"));
    CHECK(topic_matches("$SYS/#", "$SYS/x"));
    CHECK_FALSE(topic_matches("a/b/c", "a/b"));
}
