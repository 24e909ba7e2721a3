#pragma once
// Version 1 of what the cluster broker's nodes say to each other over node
// links (bridge/dist/registry.hpp, ids 0x0100-0x01FF):
//
//   core::Deliver (0x0100)  a publish forwarded to a node with a matching
//       route: the message (topic, payload as a body of the frame, so a
//       payload crosses a link once however many subscribers it has there,
//       QoS, RETAIN, v5 properties in their wire form, publisher, arrival
//       time), then the delivery's QoS and RETAIN.
//       str topic  body payload  u8 qos  u8 retain  str properties
//       str publisher  u64 publisher pid  u64 received_ms  u8 qos  u8 retain
//   ClusterRoutes (0x0101)  a node's route rows: all of them when a link to
//       a peer's agent is new (reset), then each change (add, remove).
//       u8 op  u64 agent pid  u32 count  count x str filter
//   ClusterRetain (0x0102)  a retained message a node's client stored or
//       deleted (empty payload), or one of all it holds, for a peer that is
//       new: the message's fields as in a forwarded publish.
//   core::Throttle (0x0103), core::Unthrottle (0x0104)  credit flow across
//       nodes: a subscriber that falls behind slows the publishing sessions
//       that feed it, wherever they are (core/messages.hpp).
//       u64 pid of the subscriber's session
//   ClusterSharedRoutes (0x0105)  a node's shared subscription groups (those
//       its sessions are members of), as ClusterRoutes: reset, add, remove.
//       u8 op  u64 agent pid  u32 count  count x (str group  str filter)
//   ClusterSharedDeliver (0x0106)  a publish for one member of a group on
//       the receiving node: the message, then str group  str filter.
//
// Every field is checked as a packet's would be (valid topic names and
// filters, QoS 0..2, properties as a PUBLISH's): what does not hold is
// refused by the link, never delivered.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/dist/registry.hpp"
#include "core/messages.hpp"
#include "sched/pid.hpp"

namespace actormq::cluster {

namespace type_id {
inline constexpr std::uint16_t deliver = 0x0100;
inline constexpr std::uint16_t routes = 0x0101;
inline constexpr std::uint16_t retain = 0x0102;
inline constexpr std::uint16_t throttle = 0x0103;
inline constexpr std::uint16_t unthrottle = 0x0104;
inline constexpr std::uint16_t shared_routes = 0x0105;
inline constexpr std::uint16_t shared_deliver = 0x0106;
}  // namespace type_id

inline constexpr std::uint32_t max_topic = 65535;
inline constexpr std::uint32_t max_properties = 1u << 20;
inline constexpr std::uint32_t max_route_batch = 1u << 20;

/// A node's route rows (filters its sessions subscribe to), to a peer's agent.
struct ClusterRoutes {
  enum class Op : std::uint8_t { reset = 0, add = 1, remove = 2 };
  Op op = Op::reset;
  sched::Pid agent;  ///< the sending node's agent: the key of these routes there
  std::vector<std::string> filters;
};

/// A retained message for a peer's retainer (stored there if newer).
struct ClusterRetain {
  std::shared_ptr<const core::AppMessage> msg;
};

/// A node's shared groups, to a peer's agent.
struct ClusterSharedRoutes {
  ClusterRoutes::Op op = ClusterRoutes::Op::reset;
  sched::Pid agent;
  std::vector<std::pair<std::string, std::string>> groups;  ///< (group, filter)
};

/// A publish the sending node's router gave to the receiving node's members
/// of (group, filter): one of them gets it.
struct ClusterSharedDeliver {
  std::shared_ptr<const core::AppMessage> msg;
  std::string group;
  std::string filter;
};

/// The routers' key of a group (core/routing/router.cpp): group, a zero byte, filter.
[[nodiscard]] std::string shared_key(const std::string& group, const std::string& filter);
/// (group, filter) of a key; nothing if it is not one.
[[nodiscard]] std::optional<std::pair<std::string, std::string>> split_shared_key(std::string_view key);

/// Registers the types above, and the session moves' (session_move_proto_v1.hpp).
void add_cluster_types_v1(dist::Registry& registry);

}  // namespace actormq::cluster
