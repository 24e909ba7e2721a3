#pragma once
// Version 1 of how a session moves between the nodes of a cluster (one
// client id, one session, cluster-wide; bridge/dist/registry.hpp, ids
// 0x0200-0x02FF):
//
//   core::Takeover (0x0200)  a CONNECT on the sending node asks the session
//       of its client id here to end or to hand over (MQTT 3.1.4).
//       u64 pid of the new session  u8 clean  u8 has user  [str user]
//   core::HandoverPart (0x0201)  one part of the session's state, in order
//       (core/session/session_state_codec.hpp, checked when the last part is
//       in); the state as a body of the frame.
//       body part  u8 last  u8 tail
//   core::HandoverRelease (0x0202)  the new session routes everywhere: the
//       previous one removes its routes and sends its tail.
//       u64 previous pid  u64 new session's pid
//   ClusterClients (0x0203)  a node's client ids and their sessions: all of
//       them when a link to a peer's agent is new (reset), then each change.
//       u8 op  u64 agent pid  u32 count  count x (str client id  u64 session
//       pid  u64 claimed_ms)
//   ClusterPing (0x0204), ClusterPong (0x0205)  a round trip between agents:
//       the pong leaves after everything the pinging agent sent before its
//       ping was handled there, and behind every publish the answering
//       node routed to the pinging node before (a node of an earlier build
//       answers at once: only the first holds then).  u64 agent pid  u64 tag
//   core::AdoptRequest (0x0206)  an evacuated node's offline session asks
//       the agent here to spawn a session that takes it over (evacuation).
//       u64 session pid  str client id  u8 protocol level (3..5)
//       u32 session expiry (s, not 0)  u8 has user  [str user]  u16 listener
//   core::Adopt (0x0207)  that session asks the evacuated one for its state
//       (a Takeover that never ends a connection).  u64 pid of the new session
//
// Checked as the cluster's other layouts are (cluster_proto_v1.hpp): client
// ids are MQTT UTF-8 strings, pids are not null, flags are 0 or 1.

#include <cstdint>
#include <string>
#include <vector>

#include "bridge/cluster/cluster_proto_v1.hpp"
#include "bridge/dist/registry.hpp"
#include "sched/pid.hpp"

namespace actormq::cluster {

namespace type_id {
inline constexpr std::uint16_t takeover = 0x0200;
inline constexpr std::uint16_t handover_part = 0x0201;
inline constexpr std::uint16_t handover_release = 0x0202;
inline constexpr std::uint16_t clients = 0x0203;
inline constexpr std::uint16_t ping = 0x0204;
inline constexpr std::uint16_t pong = 0x0205;
inline constexpr std::uint16_t adopt_request = 0x0206;
inline constexpr std::uint16_t adopt = 0x0207;
}  // namespace type_id

/// One client id held on the sending node.
struct ClientRow {
  std::string client_id;
  sched::Pid session;
  /// Wall time of the claim (0: an offline session restored or carried over
  /// a crash): the later connection wins a conflict.
  std::uint64_t claimed_ms = 0;
  friend bool operator==(const ClientRow&, const ClientRow&) = default;
};

/// A node's client ids, to a peer's agent (as ClusterRoutes: reset, add, remove;
/// a removed row names the session that let the id go).
struct ClusterClients {
  ClusterRoutes::Op op = ClusterRoutes::Op::reset;
  sched::Pid agent;
  std::vector<ClientRow> rows;
};

struct ClusterPing {
  sched::Pid agent;  ///< who pings: the pong goes there
  std::uint64_t tag = 0;
};

struct ClusterPong {
  sched::Pid agent;  ///< who answers
  std::uint64_t tag = 0;
};

/// Registers the types above.
void add_session_move_types_v1(dist::Registry& registry);

}  // namespace actormq::cluster
