#pragma once
// The rows of a cluster's other nodes: filter -> the forwarder here of the
// node that has a subscriber for it (SubInfo::to_node). One table serves
// every router of the node: each router used to hold its own copy of every
// peer's row, so a connection's cost on the other nodes grew with their
// core count (EMQX keeps one route table per node too, in ETS).
//
// A row with an exact filter (no wildcard: one per connection in a fleet
// where each device subscribes to its own topics) is kept as the filter's
// keyed hash and the forwarder's slot, 16 bytes in a flat table
// (core/flat_rows.hpp), not as a map node holding the filter; rows with
// wildcards stay in a route table. A publish's topic is hashed once to find
// its exact rows.
//
// Routers only read it, each under its own lock (a reader never meets
// another reader's cache line); the cluster agent, its only writer, takes
// every reader's lock while it changes rows, a batch at a time. Rows change
// when peers join, leave or subscribe; publishes read it all the time.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/flat_rows.hpp"
#include "core/messages.hpp"
#include "core/routing/reader_locks.hpp"
#include "core/routing/route_table.hpp"
#include "core/siphash.hpp"

namespace actormq::core {

class NodeRoutes {
 public:
  /// What every row gives the router: the forwarder takes any QoS, keeps
  /// RETAIN as published, and a message another node forwarded skips it.
  static constexpr SubInfo row_info{mqtt::QoS::exactly_once, false, true, true, 0};

  /// `readers`: how many routers match against it (reader 0 .. readers-1).
  explicit NodeRoutes(std::size_t readers);

  /// Adds (or, with `add` false, removes) the row (filter, forwarder) for
  /// each filter. A repeated add or the remove of a missing row does
  /// nothing. Returns how many rows it added or removed.
  std::size_t apply(bool add, sched::Pid forwarder, std::span<const std::string> filters);
  /// Removes every row of `forwarder` (a peer that went, or sends its rows
  /// anew). Returns how many.
  std::size_t purge(sched::Pid forwarder);

  /// For reader `reader`: f(const sched::Pid& forwarder, const SubInfo&)
  /// for every row whose filter matches `topic`.
  template <class F>
  void match(std::size_t reader, std::string_view topic, F&& f) const {
    if (rows_.load(std::memory_order_relaxed) == 0) {
      return;  // one node, or peers with no subscriber: no lock on the hot path
    }
    std::lock_guard lock(locks_.reader(reader));
    if (exact_.size() != 0) {
      exact_.for_each(siphash128(key_, topic), [&](std::uint16_t slot) { f(forwarders_[slot], row_info); });
    }
    wildcards_.match(topic, [&](std::string_view, const sched::Pid& pid, const SubInfo& info) { f(pid, info); });
  }

  /// The rows held (actormq_cluster_routes_remote).
  [[nodiscard]] std::int64_t size() const noexcept { return rows_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t readers() const noexcept { return locks_.readers(); }

 private:
  ReaderLocks locks_;
  const SipKey key_ = SipKey::random();
  // The slot of `forwarder` in forwarders_; one is taken for it if it has
  // none and `take`.
  std::optional<std::uint16_t> slot_of(sched::Pid forwarder, bool take);

  std::vector<sched::Pid> forwarders_;          ///< by slot; a null pid: free
  FlatRows<std::uint16_t> exact_;               ///< by the filter's hash: the forwarder's slot
  RouteTable<sched::Pid, SubInfo> wildcards_;  ///< rows with + or #
  std::atomic<std::int64_t> rows_{0};
};

}  // namespace actormq::core
