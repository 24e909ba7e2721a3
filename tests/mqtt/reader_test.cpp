#include "mqtt/reader.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace actormq::mqtt;

namespace {
using Bytes = std::vector<std::uint8_t>;
}

TEST_CASE("varint decoding: spec boundary values (1.5.5)") {
  struct Case {
    Bytes bytes;
    std::uint32_t value;
  };
  for (const auto& c : {Case{{0x00}, 0}, Case{{0x7F}, 127}, Case{{0x80, 0x01}, 128},
                        Case{{0xFF, 0x7F}, 16'383}, Case{{0x80, 0x80, 0x01}, 16'384},
                        Case{{0xFF, 0xFF, 0x7F}, 2'097'151},
                        Case{{0x80, 0x80, 0x80, 0x01}, 2'097'152},
                        Case{{0xFF, 0xFF, 0xFF, 0x7F}, 268'435'455}}) {
    auto d = decode_varint(c.bytes);
    REQUIRE(d.status == VarintDecode::Status::ok);
    CHECK(d.value == c.value);
    CHECK(d.size == c.bytes.size());
    CHECK(varint_size(c.value) == c.bytes.size());
  }
}

TEST_CASE("varint decoding: need more, too long, overlong") {
  CHECK(decode_varint(Bytes{}).status == VarintDecode::Status::need_more);
  CHECK(decode_varint(Bytes{0x80}).status == VarintDecode::Status::need_more);
  CHECK(decode_varint(Bytes{0xFF, 0xFF, 0xFF}).status == VarintDecode::Status::need_more);
  CHECK(decode_varint(Bytes{0xFF, 0xFF, 0xFF, 0xFF}).status == VarintDecode::Status::invalid);
  CHECK(decode_varint(Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x01}).status ==
        VarintDecode::Status::invalid);
  CHECK(decode_varint(Bytes{0x80, 0x00}).status == VarintDecode::Status::invalid);
  CHECK(decode_varint(Bytes{0xFF, 0x80, 0x00}).status == VarintDecode::Status::invalid);
}

TEST_CASE("reader integers are big endian and bounds checked") {
  Bytes b{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  Reader r(b);
  CHECK(*r.u8() == 0x01);
  CHECK(*r.u16() == 0x0203);
  CHECK(*r.u32() == 0x04050607);
  CHECK(r.at_end());
  CHECK(r.u8().error().code == ErrorCode::truncated);
  Bytes r2_bytes{0x01};
  Reader r2(r2_bytes);
  CHECK(r2.u16().error().code == ErrorCode::truncated);
  Bytes r3_bytes{0x01, 0x02, 0x03};
  Reader r3(r3_bytes);
  CHECK(r3.u32().error().code == ErrorCode::truncated);
}

TEST_CASE("reader varint errors") {
  Bytes truncated_bytes{0x80};
  Reader truncated(truncated_bytes);
  CHECK(truncated.varint().error().code == ErrorCode::truncated);
  Bytes overlong_bytes{0x80, 0x00};
  Reader overlong(overlong_bytes);
  CHECK(overlong.varint().error().code == ErrorCode::bad_varint);
  Bytes too_long_bytes{0x80, 0x80, 0x80, 0x80, 0x01};
  Reader too_long(too_long_bytes);
  CHECK(too_long.varint().error().code == ErrorCode::bad_varint);
}

TEST_CASE("reader strings and binary") {
  Bytes b{0x00, 0x03, 'a', '/', 'b', 0x00, 0x00, 0x00, 0x02, 0x00, 0xFF};
  Reader r(b);
  CHECK(*r.utf8() == "a/b");
  CHECK(*r.utf8_view() == "");
  auto bin = r.binary();
  REQUIRE(bin.ok());
  CHECK(*bin == std::string("\0\xFF", 2));
  CHECK(r.at_end());
}

TEST_CASE("reader string errors") {
  Bytes short_len_bytes{0x00};
  Reader short_len(short_len_bytes);
  CHECK(short_len.utf8().error().code == ErrorCode::truncated);
  Bytes short_body_bytes{0x00, 0x05, 'a', 'b'};
  Reader short_body(short_body_bytes);
  CHECK(short_body.utf8().error().code == ErrorCode::truncated);
  Bytes nul_bytes{0x00, 0x01, 0x00};
  Reader nul(nul_bytes);
  CHECK(nul.utf8().error().code == ErrorCode::bad_utf8);
  Bytes surrogate_bytes{0x00, 0x03, 0xED, 0xA0, 0x80};
  Reader surrogate(surrogate_bytes);
  CHECK(surrogate.utf8().error().code == ErrorCode::bad_utf8);
  Bytes binary_nul_bytes{0x00, 0x01, 0x00};
  Reader binary_nul(binary_nul_bytes);
  CHECK(binary_nul.binary().ok());
}

TEST_CASE("reader bytes and rest") {
  Bytes b{1, 2, 3, 4};
  Reader r(b);
  CHECK(r.bytes(5).error().code == ErrorCode::truncated);
  CHECK(r.bytes(1)->size() == 1);
  CHECK(r.position() == 1);
  CHECK(r.rest().size() == 3);
  CHECK(r.at_end());
  CHECK(r.rest().empty());
}
