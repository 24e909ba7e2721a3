#pragma once
// A router process: one of a pool (EMQX emqx_router/emqx_broker). The
// routers read this node's routes from one table they share
// (local_routes.hpp), and the rows to other nodes from another
// (node_routes.hpp); each keeps the shared subscription groups itself. A
// session publishes through the router of its own scheduler, so the common
// path crosses no thread, and one publisher's messages (a pinned session)
// always take the same router: per-publisher, per-topic order is kept (MQTT 4.6).

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/messages.hpp"
#include "core/routing/local_routes.hpp"
#include "core/routing/node_routes.hpp"
#include "core/routing/route_table.hpp"
#include "sched/process.hpp"
#include "sched/scheduler.hpp"

namespace actormq::sched {
class Runtime;
}

namespace actormq::core {

enum class SharedStrategy : std::uint8_t { round_robin, random, hash_clientid };

/// The routers of a broker, how to pick one, and the one owner of route
/// changes: a session adds and removes its routes through add_route and
/// remove_route, never by sending to the routers itself, so that whoever
/// else must know (the cluster's route replication) hears of every change.
/// Filled before the first session starts (routers by the Broker, observers
/// by services) and immutable afterwards.
struct RouterPool {
  std::vector<sched::Pid> routers;
  /// Receive every RouteAdd and RouteRemove the routers receive, each
  /// session's in the order it made them. They route nothing, so sync()
  /// does not wait for them.
  std::vector<sched::Pid> observers;
  /// The rows to other nodes of a cluster, one table every router reads,
  /// written by the cluster agent (empty on a single node).
  std::shared_ptr<NodeRoutes> node_rows;
  /// This node's routes, one table every router reads, written by the
  /// sessions through add_route and remove_route. Null: each router holds a
  /// table of its own, and gets every change (tests' routers).
  std::shared_ptr<LocalRoutes> local_rows;

  /// The router for publishes from the calling scheduler's processes.
  sched::Pid local() const {
    sched::Scheduler* s = sched::Scheduler::current();
    return routers[(s != nullptr ? s->id() : 0) % routers.size()];
  }

  /// Thread-safe. Writes `add` into local_rows (any router may see a
  /// matching publish from now on), or sends it to every router for a
  /// shared group's route (each holds every group), and to every observer.
  /// Called by the session whose route it is, from its handler: the order
  /// of one sender's messages to one process is kept, so every router and
  /// observer sees that session's changes in the order it made them.
  void add_route(sched::Runtime& runtime, const RouteAdd& add) const;
  /// Thread-safe. As add_route, for `remove`.
  void remove_route(sched::Runtime& runtime, const RouteRemove& remove) const;
  /// Thread-safe. Asks every router for a RouteSynced to `reply_to` once it
  /// has handled what `reply_to` sent it before; returns how many answer.
  std::size_t sync(sched::Runtime& runtime, sched::Pid reply_to) const;
};

class Router : public sched::Process {
 public:
  /// `local_rows` holds this node's routes (null: a table of the router's
  /// own, written by the RouteAdd and RouteRemove it gets); `node_rows`,
  /// when set (a cluster node), the rows to other nodes. This router reads
  /// both as reader `reader`.
  explicit Router(SharedStrategy strategy, std::shared_ptr<LocalRoutes> local_rows = nullptr,
                  std::shared_ptr<const NodeRoutes> node_rows = nullptr, std::size_t reader = 0);

  /// For tests: routes of this node (normal + this router's shared members).
  std::size_t route_count() const { return local_->route_count() + shared_members_; }

 protected:
  void on_message(sched::Message& msg) override;

 private:
  /// A shared subscription group on one filter: one member gets each message.
  struct Group {
    std::vector<std::pair<sched::Pid, SubInfo>> members;
    std::vector<std::string> client_ids;  // parallel to members: hash strategy, read access
    std::vector<Reader> readers;          // parallel to members
    std::size_t next = 0;
  };
  /// One session's share of a message, before merging overlapping matches.
  struct Target {
    sched::Pid pid;
    SubInfo info;
    const std::string* group;  // shared group key, or nullptr
  };

  void publish(const AppMessagePtr& msg, const persist::HoldPtr& hold, bool from_node);
  void add(RouteAdd& r);
  void remove(const RouteRemove& r);
  std::size_t pick(Group& g, const AppMessage& msg);
  /// The strategy's pick if that member may read `msg` and is not `except`,
  /// else the next member after it that may and is not; none: nullopt.
  /// `local_only`: not a member that stands for another node (SubInfo::to_node).
  std::optional<std::size_t> choose(Group& g, const AppMessage& msg, sched::Pid except = {}, bool local_only = false);
  /// Another node chose this node's members of a group for `p.msg`: one of them gets it.
  void publish_shared(const RouteSharedPublish& p);
  bool may_read(const Group& g, std::size_t member, std::string_view topic) const;
  void deliver_merged(const AppMessagePtr& msg, const persist::HoldPtr& hold);
  void redeliver(RedeliverShared& r);

  SharedStrategy strategy_;
  std::size_t reader_;
  std::shared_ptr<LocalRoutes> local_;
  // Shared groups: the table routes a filter to group keys; groups_ holds members.
  RouteTable<std::string, char> shared_routes_;
  std::unordered_map<std::string, Group> groups_;  // key: group + '\0' + filter
  std::size_t shared_members_ = 0;
  std::shared_ptr<const NodeRoutes> node_rows_;
  std::vector<Target> scratch_;
  std::minstd_rand rng_{12345};
};

}  // namespace actormq::core
