#pragma once
// Frames on a node link. A frame is a 4-byte big-endian length and that many
// bytes of body; a link refuses (and closes on) a length over its maximum
// before reading or buffering the body, and a body of length 0 is a tick
// (a heartbeat, Erlang's empty distribution packet). A body's first byte is
// its FrameKind: the handshake's frames (handshake.hpp), then data frames.
//
// A data frame carries messages for pids of the receiving node:
//   u8  kind = data
//   u16 body count B,  B x (u32 length, bytes)        the frame's body table
//   u32 entry count E, E x entry:
//       u16 receiver count R (>= 1), R x u64 pid      who receives the message
//       u16 type id, u8 version                       registry.hpp
//       u32 payload length, payload                   the type's own layout
// A bulk body (an MQTT payload) is in the body table once and payloads refer
// to it by index, so neither one message for R pids nor several messages
// sharing a payload repeat its bytes. The frame's structure is checked whole
// before anything in it is delivered: a malformed frame is refused entirely
// (the link cannot trust what follows). An entry that is well framed but
// undecodable here (unknown type, newer version, bad layout) is refused alone
// and reported; the other entries are delivered.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/dist/codec.hpp"
#include "bridge/dist/registry.hpp"
#include "bridge/dist/wire_error.hpp"
#include "mqtt/bytes.hpp"
#include "sched/message.hpp"
#include "sched/pid.hpp"

namespace actormq::dist {

/// Above the largest MQTT packet a default broker accepts, with room for the
/// frame's own fields; a node link may set a lower one.
inline constexpr std::uint32_t default_max_frame = 64u << 20;
inline constexpr std::size_t frame_prefix_size = 4;

enum class FrameKind : std::uint8_t {
  tick = 0,  ///< not a byte on the wire: an empty body
  hello = 1,
  challenge = 2,
  reply = 3,
  ack = 4,
  refuse = 5,
  data = 16,
  gossip = 17,  ///< membership (gossip.hpp)
  names = 18,   ///< global names (names_frame.hpp)
  handover = 19,      ///< the last frame of a link another one replaces (node_link.hpp)
  handover_ack = 20,  ///< "I delivered everything you sent before your handover"
};

/// The kind of a frame body; unknown_frame_kind for a first byte naming none.
[[nodiscard]] Result<FrameKind> frame_kind(std::string_view body);
/// `body` with its length prefix, ready to write.
[[nodiscard]] std::string make_frame(std::string_view body);
/// The 4 bytes of a tick.
[[nodiscard]] std::string tick_frame();
/// A handover frame and its acknowledgement (FrameKind), whole.
[[nodiscard]] std::string handover_frame();
[[nodiscard]] std::string handover_ack_frame();

/// Splits the byte stream of a link into frame bodies. Owner-only (the link's
/// process). After an error it stays failed: the stream has no resync point.
class FrameReader {
 public:
  explicit FrameReader(std::uint32_t max_frame = default_max_frame) : max_frame_(max_frame) {}

  /// The handshake reads with a small maximum, the established link with its own.
  void set_max_frame(std::uint32_t max_frame) noexcept { max_frame_ = max_frame; }
  /// Appends bytes read from the link; invalidates views next() returned.
  void feed(std::string_view bytes);
  /// The next whole frame's body (empty: a tick), valid until the next feed();
  /// nullopt until more bytes arrive; frame_too_large for a length over the maximum.
  [[nodiscard]] Result<std::optional<std::string_view>> next();
  /// Bytes received and not yet returned.
  [[nodiscard]] std::size_t buffered() const noexcept { return buf_.size() - pos_; }

 private:
  std::string buf_;
  std::size_t pos_ = 0;
  std::uint32_t max_frame_;
  bool failed_ = false;
};

/// A built data frame: pieces to write in order (bodies are not copied).
class EncodedFrame {
 public:
  EncodedFrame(std::vector<std::string> glue, std::vector<mqtt::SharedBytes> bodies)
      : glue_(std::move(glue)), bodies_(std::move(bodies)) {}
  /// For writev: valid while this EncodedFrame lives.
  [[nodiscard]] std::vector<std::span<const std::uint8_t>> pieces() const;
  /// The whole frame, length prefix included.
  [[nodiscard]] std::string flatten() const;
  [[nodiscard]] std::size_t size() const noexcept;

 private:
  std::vector<std::string> glue_;  ///< glue_[i] precedes bodies_[i]; one more than bodies_
  std::vector<mqtt::SharedBytes> bodies_;
};

/// Collects messages for pids of one node into a data frame. Owner-only.
class FrameBuilder {
 public:
  explicit FrameBuilder(const Registry& registry, std::uint32_t max_frame = default_max_frame)
      : registry_(&registry), max_frame_(max_frame) {}

  /// Adds `msg` for every pid of `to` (written once). On an error nothing is
  /// added: not_registered (the type crosses no node), a field error of its
  /// layout, no_receivers, bad_value (over 65535 receivers), or
  /// frame_too_large (finish() this frame and add it to the next; if the frame
  /// was empty, the message alone is too large for a link).
  Status add(std::span<const sched::Pid> to, const sched::Message& msg);
  Status add(sched::Pid to, const sched::Message& msg) { return add(std::span(&to, 1), msg); }

  [[nodiscard]] bool empty() const noexcept { return entries_ == 0; }
  /// The frame's size so far, length prefix included.
  [[nodiscard]] std::size_t size() const noexcept;
  /// The frame, and an empty builder.
  [[nodiscard]] EncodedFrame finish();

 private:
  const Registry* registry_;
  std::uint32_t max_frame_;
  BodyTable bodies_;
  std::string entry_bytes_;
  std::uint32_t entries_ = 0;
};

struct Delivery {
  sched::Pid to;
  sched::MessagePtr message;
};

/// An entry this node could not decode: to be logged, not delivered.
struct Refusal {
  std::size_t entry = 0;  ///< its index in the frame
  std::uint16_t type = 0;
  std::uint8_t version = 0;
  std::size_t receivers = 0;
  WireError error = WireError::truncated;
};

struct DecodedFrame {
  std::vector<Delivery> deliveries;  ///< in frame order
  std::vector<Refusal> refused;
};

/// Decodes a data frame's body. An error: the frame is malformed and nothing
/// in it may be delivered (the link should close).
[[nodiscard]] Result<DecodedFrame> decode_frame(std::string_view body, const Registry& registry);

/// "entry 2: type 0x0102 (name) v3 for 1 pid: newer version", for logs.
[[nodiscard]] std::string describe(const Refusal& refusal, const Registry& registry);

}  // namespace actormq::dist
