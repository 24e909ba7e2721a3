#pragma once
// The rows of a cluster's other nodes: filter -> the forwarder here of the
// node that has a subscriber for it (SubInfo::to_node). One table serves
// every router of the node: each router used to hold its own copy of every
// peer's row, so a connection's cost on the other nodes grew with their
// core count (EMQX keeps one route table per node too, in ETS).
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
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.hpp"
#include "core/routing/route_table.hpp"

namespace actormq::core {

class NodeRoutes {
 public:
  /// `readers`: how many routers match against it (reader 0 .. readers-1).
  explicit NodeRoutes(std::size_t readers);

  /// Adds (or, with `add` false, removes) the row (filter, forwarder) with
  /// `info` for each filter. A repeated add replaces the row's options; the
  /// remove of a missing row does nothing. Returns how many rows it added or
  /// removed.
  std::size_t apply(bool add, sched::Pid forwarder, const SubInfo& info, std::span<const std::string> filters);
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
    std::lock_guard lock(locks_[reader].mutex);
    table_.match(topic, [&](std::string_view, const sched::Pid& pid, const SubInfo& info) { f(pid, info); });
  }

  /// The rows held (actormq_cluster_routes_remote).
  [[nodiscard]] std::int64_t size() const noexcept { return rows_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t readers() const noexcept { return readers_; }

 private:
  struct alignas(64) ReaderLock {
    mutable std::mutex mutex;
  };
  /// Every reader's lock, in order (readers take one each: no deadlock).
  std::vector<std::unique_lock<std::mutex>> lock_all() const;

  std::size_t readers_;
  std::unique_ptr<ReaderLock[]> locks_;
  RouteTable<sched::Pid, SubInfo> table_;
  std::atomic<std::int64_t> rows_{0};
};

}  // namespace actormq::core
