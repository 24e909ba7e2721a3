#pragma once
// The node-link handshake, as two pure state machines (no socket, no clock):
// each consumes frame bodies (FrameReader) and returns the frames to write
// and, at the end, an outcome. The node link carries the bytes, applies a
// deadline and reads with handshake_max_frame until the outcome.
//
//   initiator                                   acceptor
//   hello     {magic "AMQD", versions min..max, capabilities,
//              name, id, incarnation}      -->
//             <--  challenge {chosen version, agreed capabilities,
//                             name, id, incarnation, 32 random bytes Ca}
//                  (or refuse {reason, its versions})
//   reply     {32 random bytes Ci,
//              HMAC(cookie, "initiator" | hello | challenge | Ci)}  -->
//             <--  ack {HMAC(cookie, "acceptor" | hello | challenge | Ci)}
//                  (or refuse {not_allowed, ...})
//
// Both sides prove the cookie over challenges the other side just drew, and
// over everything announced (a changed byte of a name, id or version makes a
// proof fail); the two labels keep one side's proof from serving as the
// other's. The initiator proves first, so the acceptor (the side listening
// to anyone) computes nothing over a stranger's input before it knows the
// stranger holds the cookie. A wrong cookie is refused with not_allowed and
// nothing else: the refusal is the same bytes whatever was wrong.
// Without TLS the link is authenticated when it opens, not encrypted.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/config/cluster.hpp"

namespace actormq::dist {

inline constexpr std::uint16_t protocol_min = 1;
inline constexpr std::uint16_t protocol_max = 1;
inline constexpr std::size_t challenge_size = 32;
inline constexpr std::size_t max_node_name = core::max_node_name;
/// Every handshake frame fits: a peer not yet authenticated makes the link
/// buffer no more than this.
inline constexpr std::uint32_t handshake_max_frame = 1024;

/// Who a node is. `incarnation` (Erlang's "creation") is drawn anew at each
/// start, so a pid of an earlier run of the node is told from a new one.
struct NodeInfo {
  std::string name;
  std::uint16_t id = 0;  ///< Pid::node() of its processes
  std::uint32_t incarnation = 0;
  friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

/// A node name is what the `cluster.node_name` key accepts: 1 to 255 bytes of
/// letters, digits, '.', '_', '-' and '@' (one rule, in core/config/cluster.hpp).
using core::valid_node_name;

using RandomFill = std::function<void(std::span<std::uint8_t>)>;

/// A random, non-zero incarnation.
[[nodiscard]] std::uint32_t new_incarnation(const RandomFill& random = {});

/// Sent in a refuse frame; also the outcome's reason on the refusing side.
enum class RefuseReason : std::uint8_t {
  protocol_error = 1,    ///< a frame out of order, malformed, or not this protocol
  version_mismatch = 2,  ///< no protocol version both speak
  not_allowed = 3,       ///< a proof of the cookie did not verify
  bad_name = 4,          ///< not a valid node name
  id_conflict = 5,       ///< the peer has this node's name or id
  duplicate = 6,         ///< refused by admit (already linked, lost a simultaneous connect)
  capabilities = 7,      ///< a required capability is not shared
};
[[nodiscard]] std::string_view to_string(RefuseReason reason) noexcept;

struct HandshakeConfig {
  NodeInfo self;
  std::string cookie;  ///< never sent; must not be empty
  std::uint16_t min_version = protocol_min;
  std::uint16_t max_version = protocol_max;
  std::uint64_t capabilities = 0;           ///< bits offered (none defined by version 1)
  std::uint64_t required_capabilities = 0;  ///< bits without which the link is refused
  RandomFill random;                        ///< for challenges; empty: the kernel's
  /// Acceptor only: asked once the peer has said who it is; a reason refuses
  /// it (the node link: already linked to it, or it loses a simultaneous
  /// connect, outgoing_wins()).
  std::function<std::optional<RefuseReason>(const NodeInfo& peer)> admit;
};

struct Established {
  NodeInfo peer;
  std::uint16_t version = 0;       ///< the protocol version of the link
  std::uint64_t capabilities = 0;  ///< offered by both
};

struct Refused {
  RefuseReason reason = RefuseReason::protocol_error;
  bool by_peer = false;  ///< the peer refused; otherwise this side did
  std::string detail;    ///< for the log; never holds a secret
};

using Outcome = std::variant<Established, Refused>;

/// What to do after one input: write `send` (whole frames, in order), and if
/// `outcome` is set the handshake is over (after a Refused, close the link
/// once `send` is written).
struct Step {
  std::vector<std::string> send;
  std::optional<Outcome> outcome;
};

/// The side that connected. Owner-only.
class Initiator {
 public:
  /// Throws std::invalid_argument for an empty cookie, an invalid own name or
  /// an empty version range: configuration faults.
  explicit Initiator(HandshakeConfig config);
  /// The hello; call once, first.
  [[nodiscard]] Step start();
  /// One frame body from the peer. After the outcome: nothing.
  [[nodiscard]] Step on_frame(std::string_view body);
  [[nodiscard]] bool done() const noexcept { return state_ == State::done; }

 private:
  enum class State { idle, sent_hello, sent_reply, done };
  Step on_challenge(std::string_view body);
  Step on_ack(std::string_view body);
  Step refuse(RefuseReason reason, std::string detail);
  HandshakeConfig config_;
  State state_ = State::idle;
  std::string hello_;      ///< our hello's body, as sent
  std::string challenge_;  ///< the peer's challenge body, as received
  std::string own_challenge_;
  Established result_;
};

/// The side that accepted the connection. Owner-only.
class Acceptor {
 public:
  /// Throws as Initiator's does.
  explicit Acceptor(HandshakeConfig config);
  [[nodiscard]] Step on_frame(std::string_view body);
  [[nodiscard]] bool done() const noexcept { return state_ == State::done; }

 private:
  enum class State { await_hello, sent_challenge, done };
  Step on_hello(std::string_view body);
  Step on_reply(std::string_view body);
  Step refuse(RefuseReason reason, std::string detail);
  HandshakeConfig config_;
  State state_ = State::await_hello;
  std::string hello_;
  std::string challenge_;
  std::string own_challenge_;
  Established result_;
};

/// Two nodes that connect to each other at once each hold one outgoing and
/// one incoming handshake; the outgoing link of the node with the lower name
/// (bytewise) is kept, the other is refused (RefuseReason::duplicate). Both
/// nodes reach the same answer: outgoing_wins(a, b) == !outgoing_wins(b, a)
/// for a != b.
[[nodiscard]] bool outgoing_wins(std::string_view local, std::string_view remote) noexcept;

}  // namespace actormq::dist
