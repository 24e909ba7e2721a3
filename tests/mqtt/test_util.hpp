#pragma once
// Helpers shared by the mqtt unit tests.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "mqtt/parser.hpp"

namespace actormq::mqtt::test {

using Bytes = std::vector<std::uint8_t>;

/// "10 0c 00 04" -> bytes; also accepts 'c' for a literal ASCII character run
/// written as 'text' between single quotes.
inline Bytes hex(std::string_view text) {
  Bytes out;
  auto nibble = [](char c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
  };
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == ' ') {
      ++i;
    } else if (c == '\'') {
      std::size_t end = text.find('\'', i + 1);
      for (std::size_t j = i + 1; j < end; ++j) {
        out.push_back(static_cast<std::uint8_t>(text[j]));
      }
      i = end + 1;
    } else {
      out.push_back(static_cast<std::uint8_t>(nibble(text[i]) * 16 + nibble(text[i + 1])));
      i += 2;
    }
  }
  return out;
}

/// Parses exactly one packet from `bytes` in `version` with the stateless API.
inline Parsed parse_one(const Bytes& bytes, ProtocolVersion version = ProtocolVersion::v5,
                        std::uint32_t max_packet_size = max_packet_size_limit) {
  return parse_frame(bytes, ParserOptions{max_packet_size, version});
}

/// The error code of parsing `bytes`, or nullopt-like sentinel if it parsed.
inline ErrorCode error_of(const Bytes& bytes, ProtocolVersion version = ProtocolVersion::v5) {
  Parsed r = parse_one(bytes, version);
  REQUIRE_MESSAGE(r.status == ParseStatus::error, "expected a parse error");
  return r.error.code;
}

/// Feeds `bytes` to a Parser in chunks of `chunk` bytes; returns every result
/// that was not need_more.
inline std::vector<Parsed> parse_chunked(const Bytes& bytes, std::size_t chunk,
                                         ParserOptions options = {}) {
  Parser parser(options);
  std::vector<Parsed> out;
  std::span<const std::uint8_t> all(bytes);
  for (std::size_t off = 0; off < all.size(); off += chunk) {
    auto in = all.subspan(off, std::min(chunk, all.size() - off));
    while (!in.empty()) {
      Parsed r = parser.parse(in);
      in = in.subspan(r.consumed);
      if (r.status == ParseStatus::need_more) {
        REQUIRE(in.empty());
        break;
      }
      bool stop = r.status == ParseStatus::error;
      out.push_back(std::move(r));
      if (stop) {
        return out;
      }
    }
  }
  return out;
}

}  // namespace actormq::mqtt::test
