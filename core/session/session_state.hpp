#pragma once
// What a session keeps between connections (MQTT 4.1): its subscriptions,
// the QoS 1/2 messages in flight in both directions, the queue of messages
// not yet sent, and the will of its last connection while it may still go
// out (MQTT 5's delayed will outlives the connection). Plain data: moved between session processes on
// takeover, stored by the persistence layer (session_store.cpp), and turned
// into bytes to leave the process (session_state_codec.hpp).

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/lazy_list.hpp"
#include "core/lazy_map.hpp"
#include "core/lazy_vector.hpp"
#include "core/messages.hpp"
#include "core/string_hash.hpp"
#include "mqtt/packets.hpp"

namespace actormq::core {

/// One subscription of a session, keyed by its full filter (with any
/// "$share/group/" prefix) in SessionState::subscriptions.
struct Subscription {
  std::string filter;  ///< without the $share prefix
  std::string group;   ///< shared subscription group, or empty
  SubInfo info;
};

/// An outgoing QoS 1/2 PUBLISH awaiting its acknowledgement.
struct Inflight {
  std::uint64_t seq = 0;  ///< send order, for resending in order (MQTT 4.6)
  Deliver delivery;
  bool released = false;  ///< QoS 2: PUBREC received, PUBREL sent, awaiting PUBCOMP
};

/// The maps, the queue and awaiting_rel cost a pointer each until used
/// (core/lazy_map.hpp, core/lazy_list.hpp, core/lazy_vector.hpp).
struct SessionState {
  LazyMap<std::string, Subscription, StringHash> subscriptions;
  /// Keyed by packet id: acknowledgements find theirs in O(1) even with a
  /// window of thousands.
  LazyMap<std::uint16_t, Inflight> inflight;
  std::uint64_t inflight_seq = 0;
  /// Waiting for the window or the client. A list: an idle session's empty
  /// queue allocates nothing (a deque would allocate ~600 bytes up front),
  /// and costs a pointer (core/lazy_list.hpp).
  LazyList<Deliver> queue;
  LazyVector<std::uint16_t> awaiting_rel;   ///< incoming QoS 2 ids: PUBREC sent, no PUBREL yet
  /// On the heap: most clients have none. A takeover does not move it: the
  /// old connection's will is published or dropped before its state goes.
  std::unique_ptr<mqtt::Will> will;
  /// Last: the Channel puts its own small fields in the padding after it.
  std::uint16_t last_packet_id = 0;
};

}  // namespace actormq::core
