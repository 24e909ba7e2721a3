#pragma once
// This node's routes (filter -> session, with the subscription's options),
// one table that every router reads. Each router used to hold its own copy
// of every route, so a subscription cost a map node per core (~120 bytes
// each); one table serves them all, as NodeRoutes does for the rows to
// other nodes (EMQX keeps one route table per node too).
//
// A session writes its own routes, at once, from its handler (through
// RouterPool::add_route): a route is matched by every router from the
// moment the session's SUBSCRIBE is handled, before its SUBACK is written.
// A writer takes every reader's lock (ReaderLocks); a router matches under
// its own. Route changes come with subscriptions and connections; publishes
// read all the time. Shared subscription groups stay with each router
// (their members and turns are the router's state).

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.hpp"
#include "core/routing/reader_locks.hpp"
#include "core/routing/route_table.hpp"
#include "core/shared_text.hpp"
#include "sched/pid.hpp"

namespace actormq::core {

class LocalRoutes {
 public:
  /// `readers`: how many routers match against it (reader 0 .. readers-1).
  explicit LocalRoutes(std::size_t readers) : locks_(readers) {}

  /// Adds the route (filter, session) with `info`, or replaces the options
  /// of that route (a repeated SUBSCRIBE, 3.8.4); `replaces`, when valid,
  /// loses its route of `filter` in the same step (a session taken over).
  /// The table keeps `filter` itself (the session's key, shared). True when
  /// `filter` had no route before.
  bool add(const SharedText& filter, sched::Pid session, const SubInfo& info, sched::Pid replaces = {});
  /// Removes the route (filter, session), if there is one. True when it was
  /// the last route of `filter`.
  bool remove(std::string_view filter, sched::Pid session);

  /// For reader `reader`: f(const sched::Pid& session, const SubInfo&) for
  /// every route whose filter matches `topic`.
  template <class F>
  void match(std::size_t reader, std::string_view topic, F&& f) const {
    std::lock_guard lock(locks_.reader(reader));
    table_.match(topic, [&](std::string_view, const sched::Pid& pid, const SubInfo& info) { f(pid, info); });
  }

  /// Some session here has a route of `filter`. Not for routers: it takes
  /// every lock, as a writer does (the cluster agent's question, per change).
  [[nodiscard]] bool has_filter(std::string_view filter) const;
  /// Every filter with a route here (the cluster agent's, for a new peer).
  [[nodiscard]] std::vector<std::string> filters() const;

  [[nodiscard]] std::size_t route_count() const noexcept { return routes_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t readers() const noexcept { return locks_.readers(); }

 private:
  ReaderLocks locks_;
  RouteTable<sched::Pid, SubInfo, std::hash<sched::Pid>, std::equal_to<sched::Pid>, SharedText> table_;
  std::atomic<std::size_t> routes_{0};
};

}  // namespace actormq::core
