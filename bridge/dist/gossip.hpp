#pragma once
// Membership gossip: each end of a link tells the other where it listens for
// links and which nodes it is linked to, and where they listen; a node dials
// those it is not linked to yet, so that every node links to every node though
// it was told of one seed. Sent when a link comes up and, on every link, when
// the node's links change.
//
// A gossip frame's body (wire.hpp's FrameKind::gossip):
//   u8  kind = gossip
//   u16 port                          where the sender listens for links
//   u16 member count M (<= max_members), M x member:
//       str name (<= 255)  u16 id  u32 incarnation
//       str host (<= 255)  u16 port   where that node listens, as the sender reaches it
// Strings: codec.hpp's (4-byte length). Every field is checked: a malformed
// gossip frame closes the link, as a malformed data frame does.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/dist/handshake.hpp"
#include "bridge/dist/wire_error.hpp"

namespace actormq::dist {

inline constexpr std::size_t max_members = 4096;
inline constexpr std::uint32_t max_host = 255;

struct Member {
  NodeInfo node;
  std::string host;
  std::uint16_t port = 0;
  friend bool operator==(const Member&, const Member&) = default;
};

struct Gossip {
  std::uint16_t port = 0;  ///< the sender's link port
  std::vector<Member> members;
  friend bool operator==(const Gossip&, const Gossip&) = default;
};

/// The frame body (kind byte first); members beyond max_members are left out.
[[nodiscard]] std::string encode_gossip(const Gossip& gossip);
[[nodiscard]] Result<Gossip> decode_gossip(std::string_view body);

}  // namespace actormq::dist
