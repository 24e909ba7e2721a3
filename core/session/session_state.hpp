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
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/lazy_list.hpp"
#include "core/lazy_map.hpp"
#include "core/lazy_vector.hpp"
#include "core/messages.hpp"
#include "core/shared_text.hpp"
#include "core/small_map.hpp"
#include "core/string_hash.hpp"
#include "mqtt/packets.hpp"

namespace actormq::core {

/// One subscription of a session, keyed by its full filter (with any
/// "$share/group/" prefix) in SessionState::subscriptions. The filter and
/// the group are parts of that key, found in it when asked, not copies or
/// offsets kept beside it (a subscription per device on a fleet: an entry
/// of the session's map is 16 bytes).
struct Subscription {
  SubInfo info;
  static constexpr std::string_view share_prefix = "$share/";

  /// The subscription to `full` (shared if it is "$share/{group}/{filter}").
  [[nodiscard]] static Subscription of(std::string_view /*full*/, const SubInfo& info) { return Subscription{info}; }
  /// Where the filter starts in the full filter: 0, or just past "$share/{group}/".
  [[nodiscard]] static std::size_t filter_at(std::string_view full) {
    if (!full.starts_with(share_prefix)) {
      return 0;
    }
    const std::size_t slash = full.find('/', share_prefix.size());
    return slash == std::string_view::npos ? 0 : slash + 1;
  }
  [[nodiscard]] static bool shared(std::string_view full) { return filter_at(full) != 0; }
  /// The filter a route of the key `full` is on: `full` itself (one copy
  /// for the session and the route table) unless shared.
  [[nodiscard]] SharedText route_filter(const SharedText& full) const {
    const std::size_t at = filter_at(full);
    return at == 0 ? full : SharedText(full.view().substr(at));
  }
  /// The filter without the $share prefix, of the key `full`.
  [[nodiscard]] std::string_view filter(std::string_view full) const { return full.substr(filter_at(full)); }
  /// The shared subscription group, or empty, of the key `full`.
  [[nodiscard]] std::string_view group(std::string_view full) const {
    const std::size_t at = filter_at(full);
    return at == 0 ? std::string_view{} : full.substr(share_prefix.size(), at - share_prefix.size() - 1);
  }
};

/// An outgoing QoS 1/2 PUBLISH awaiting its acknowledgement.
struct Inflight {
  std::uint64_t seq = 0;  ///< send order, for resending in order (MQTT 4.6)
  Deliver delivery;
  bool released = false;  ///< QoS 2: PUBREC received, PUBREL sent, awaiting PUBCOMP
};

/// The maps, the queue and awaiting_rel cost a pointer each until used
/// (core/small_map.hpp, core/lazy_map.hpp, core/lazy_list.hpp,
/// core/lazy_vector.hpp).
struct SessionState {
  /// Full filter ("$share/g/f" for a shared one) -> subscription. Entries
  /// move when one is added: hold keys or copies across insertions.
  SmallMap<SharedText, Subscription, StringHash> subscriptions;
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
