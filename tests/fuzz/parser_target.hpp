#pragma once
// The body of the three parser targets (fuzz_parser_v31/_v311/_v5): one
// connection's byte stream, starting in the given version, fed to the
// resumable mqtt::Parser in the chunks fuzz_util.hpp's Chunks cuts. Checked:
//  * the chunked parse gives the same packets and the same final error as
//    parse_frame() over the whole stream (resuming changes nothing);
//  * every packet accepted re-encodes to bytes that parse to the same packet;
//  * a stream that ends inside a packet is held whole by the Parser.

#include <vector>

#include "fuzz_util.hpp"
#include "mqtt/encode.hpp"
#include "mqtt/parser.hpp"

namespace actormq::fuzz {

struct ParserStep {
  mqtt::ParseStatus status;
  mqtt::Packet packet;
  mqtt::ErrorCode error;
};

/// High flag bits pick the maximum packet size, so over-size packets are
/// refused often enough to matter.
inline std::uint32_t max_packet_size_of(std::uint8_t flags) noexcept {
  constexpr std::uint32_t sizes[] = {mqtt::max_packet_size_limit, 16, 200, 4096};
  return sizes[flags & 3];
}

inline void check_round_trip(const mqtt::Packet& packet, mqtt::ProtocolVersion version) {
  auto bytes = mqtt::encode(packet, version);
  FUZZ_CHECK(bytes.ok());
  mqtt::Parsed again = mqtt::parse_frame(*bytes, mqtt::ParserOptions{mqtt::max_packet_size_limit, version});
  FUZZ_CHECK(again.status == mqtt::ParseStatus::packet);
  FUZZ_CHECK(again.consumed == bytes->size());
  FUZZ_CHECK(again.packet == packet);
}

/// parse_frame() over the whole stream, as far as it goes.
inline std::vector<ParserStep> parse_whole(std::span<const std::uint8_t> in, mqtt::ParserOptions options,
                                           std::size_t& left) {
  std::vector<ParserStep> steps;
  while (!in.empty()) {
    mqtt::Parsed r = mqtt::parse_frame(in, options);
    if (r.status != mqtt::ParseStatus::packet) {
      if (r.status == mqtt::ParseStatus::error) {
        steps.push_back({r.status, {}, r.error.code});
      }
      break;
    }
    FUZZ_CHECK(r.consumed > 0 && r.consumed <= in.size());
    check_round_trip(r.packet, r.version);
    options.version = r.version;
    in = in.subspan(r.consumed);
    steps.push_back({r.status, std::move(r.packet), {}});
  }
  left = in.size();
  return steps;
}

inline int run_parser(const std::uint8_t* data, std::size_t size, mqtt::ProtocolVersion version) {
  Chunks chunks(data, size);
  const mqtt::ParserOptions options{max_packet_size_of(chunks.flags()), version};
  std::size_t left = 0;
  std::vector<ParserStep> expected = parse_whole(chunks.stream(), options, left);

  mqtt::Parser parser(options);
  std::vector<ParserStep> got;
  bool failed = false;
  for (auto chunk = chunks.next(); !chunk.empty() && !failed; chunk = chunks.next()) {
    while (!chunk.empty()) {
      mqtt::Parsed r = parser.parse(chunk);
      FUZZ_CHECK(r.consumed <= chunk.size());
      chunk = chunk.subspan(r.consumed);
      if (r.status == mqtt::ParseStatus::need_more) {
        FUZZ_CHECK(chunk.empty());
        break;
      }
      if (r.status == mqtt::ParseStatus::error) {
        got.push_back({r.status, {}, r.error.code});
        failed = true;  // the connection is closed: nothing more is read
        break;
      }
      got.push_back({r.status, std::move(r.packet), {}});
    }
  }
  FUZZ_CHECK(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    FUZZ_CHECK(got[i].status == expected[i].status);
    FUZZ_CHECK(got[i].packet == expected[i].packet);
    FUZZ_CHECK(got[i].error == expected[i].error);
  }
  if (!failed) {
    FUZZ_CHECK(parser.buffered() == left);
  }
  return 0;
}

}  // namespace actormq::fuzz
