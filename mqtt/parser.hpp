#pragma once
// Incremental, resumable packet framing (after EMQX emqx_frame.erl). Two
// layers:
//  * parse_frame(): stateless. Give it the unconsumed bytes; it returns a
//    packet and the bytes it used, "need more", or an error. The caller keeps
//    the unconsumed tail (e.g. in a per-scheduler read buffer).
//  * Parser: owns the tail of a partial packet for one connection, so the
//    caller can feed arbitrary chunks and drop its own buffer after each read.
// Both reject an over-size packet as soon as its remaining length is known,
// before any of its body is buffered.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "mqtt/decode.hpp"

namespace actormq::mqtt {

/// Limits and context for parsing one connection's byte stream.
struct ParserOptions {
  /// Largest accepted packet, fixed header included (MQTT 5.0 Maximum Packet
  /// Size semantics). Capped at the protocol limit of 268435460 bytes, so 32
  /// bits hold it (a parser is in every connection: 8 bytes, not 16).
  std::uint32_t max_packet_size = max_packet_size_limit;
  /// Version of every packet but CONNECT; the Parser updates it from CONNECT.
  ProtocolVersion version = ProtocolVersion::v3_1_1;
  /// A server reading a client's stream: its first byte must be 0x10, CONNECT
  /// with flags 0 ([MQTT-3.1.0-1], [MQTT-2.1.3-1]). Anything else is refused
  /// at that byte, without waiting for a remaining length (an HTTP request's
  /// "GE" reads as a PUBACK of 69 bytes). The Parser clears it after CONNECT.
  bool connect_first = false;
};
static_assert(max_packet_size_limit <= UINT32_MAX);

/// Outcome of one parse step.
enum class ParseStatus : std::uint8_t {
  packet,     ///< `packet` holds a decoded packet
  need_more,  ///< the input ends inside a packet
  error,      ///< `error` says why; the connection should be closed
};

/// Result of parse_frame() / Parser::parse().
struct Parsed {
  ParseStatus status = ParseStatus::need_more;
  /// Input bytes used by this call. parse_frame(): the packet size, or 0.
  /// Parser::parse(): everything it copied or decoded from this input.
  std::size_t consumed = 0;
  /// Size of the packet being read once its fixed header is known, else 0.
  std::size_t frame_size = 0;
  /// Version in effect after this step: a CONNECT sets it (even one that
  /// fails later in its body, so the error can be answered in that version).
  ProtocolVersion version = ProtocolVersion::v3_1_1;
  /// Valid when status == packet. Starts as the trivial Pingreq so a result
  /// without a packet costs nothing to build.
  Packet packet = Pingreq{};
  Error error{ErrorCode::truncated, {}};
};

/// Fixed-header decoding outcome.
struct HeaderParse {
  ParseStatus status;  ///< packet means the header is complete
  FixedHeader header;
  Error error;
};

/// Decodes the fixed header at the start of `input`; rejects reserved packet
/// type 0, a remaining length over 4 bytes or overlong, and a packet larger
/// than `max_packet_size`.
[[nodiscard]] HeaderParse parse_fixed_header(std::span<const std::uint8_t> input,
                                             std::size_t max_packet_size) noexcept;

/// Parses at most one packet from the start of `input`. Never reads past the
/// packet, never consumes anything on need_more.
[[nodiscard]] Parsed parse_frame(std::span<const std::uint8_t> input,
                                 const ParserOptions& options);

/// Resumable parser for one connection. Feed it chunks; after need_more it
/// has copied the chunk (a partial packet, never more than one packet) and
/// wants the next one. It holds no memory between packets.
///
///     while (!in.empty()) {
///       Parsed r = parser.parse(in);
///       in = in.subspan(r.consumed);
///       if (r.status != ParseStatus::packet) break;  // need_more: all consumed
///       handle(std::move(r.packet));
///     }
class Parser {
 public:
  explicit Parser(ParserOptions options = {}) noexcept : options_(options) {}

  /// Parses the next packet from `input` (plus any partial packet held).
  [[nodiscard]] Parsed parse(std::span<const std::uint8_t> input);

  [[nodiscard]] ProtocolVersion version() const noexcept { return options_.version; }
  void set_version(ProtocolVersion version) noexcept { options_.version = version; }
  [[nodiscard]] std::size_t max_packet_size() const noexcept { return options_.max_packet_size; }
  void set_max_packet_size(std::size_t size) noexcept {
    options_.max_packet_size = static_cast<std::uint32_t>(std::min(size, max_packet_size_limit));
  }
  void set_connect_first(bool on) noexcept { options_.connect_first = on; }
  /// Bytes of a partial packet currently held.
  [[nodiscard]] std::size_t buffered() const noexcept { return partial_ ? partial_->size() : 0; }
  /// Drops any partial packet.
  void reset() noexcept { partial_.reset(); }

 private:
  Parsed finish(Parsed result);
  Parsed resume(std::span<const std::uint8_t> input);

  ParserOptions options_;
  /// Null between packets: an idle connection pays one pointer, not an
  /// empty vector (memory per idle connection is a target; BENCHMARKS.md).
  std::unique_ptr<std::vector<std::uint8_t>> partial_;
};

}  // namespace actormq::mqtt
