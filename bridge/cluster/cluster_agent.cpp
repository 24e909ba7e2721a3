#include "bridge/cluster/cluster_agent.hpp"

#include <algorithm>
#include <iterator>
#include <memory>
#include <span>

#include "bridge/cluster/node_forwarder.hpp"
#include "core/logger.hpp"
#include "core/store/persistence.hpp"
#include "sched/scheduler.hpp"
#include "sched/runtime.hpp"

namespace actormq::cluster {

namespace {

// Until the peer's agent name reaches us (its names come just after its
// link is up), look again this often.
constexpr std::uint64_t find_agent_every_ms = 10;

// Forwarded publishes waiting in our mailbox at which we slow the sessions
// that publish them (on other nodes: Throttle crosses the link), and at
// which we let them go again: a node that routes faster than this one
// republishes would otherwise pile its messages up here without bound.
constexpr std::uint32_t throttle_above = 4096;
constexpr std::uint32_t release_below = 512;


// A peer's rows go into the routers' table of rows to other nodes at most
// this many at a time: a reset of a large node holds no router long.
constexpr std::size_t rows_per_batch = 1024;

}  // namespace

std::string agent_name(const std::string& node_name) { return "actormq.cluster." + node_name; }

ClusterAgent::ClusterAgent(dist::Node& node, core::BrokerContext& ctx, ClusterDirectory& directory,
                           ClusterCounters& counters)
    : node_(node), ctx_(ctx), directory_(directory), counters_(counters) {}

void ClusterAgent::on_start() {
  send<core::RetainObserve>(ctx_.retainer, core::RetainObserve{self()});
  for (const auto& [client_id, pid] : ctx_.registry.snapshot()) {
    set_local_claim(client_id, LocalClaim{pid, 0});  // claimed before we watched: restored
  }
  node_.monitor_nodes(self());
  for (const dist::NodeInfo& peer : node_.peers()) {
    node_up(peer);  // linked before we watched
  }
}

void ClusterAgent::on_exit(const sched::ExitReason&) { node_.monitor_nodes(self(), false); }

void ClusterAgent::on_message(sched::Message& msg) {
  if (hold_inbound(msg)) {
    return;
  }
  if (msg.is<ReleaseHeld>()) {
    release_held();
  } else if (auto* add = msg.as<core::RouteAdd>()) {
    local_add(*add);
  } else if (auto* remove = msg.as<core::RouteRemove>()) {
    local_remove(*remove);
  } else if (auto* d = msg.as<core::Deliver>()) {
    forwarded(*d);
  } else if (auto* sd = msg.as<ClusterSharedDeliver>()) {
    forwarded_shared(*sd);
  } else if (auto* sr = msg.as<ClusterSharedRoutes>()) {
    remote_shared(*sr);
  } else if (auto* r = msg.as<ClusterRoutes>()) {
    remote_routes(*r);
  } else if (auto* up = msg.as<dist::NodeUp>()) {
    node_up(up->node);
  } else if (auto* down = msg.as<dist::NodeDown>()) {
    node_down(down->node);
  } else if (auto* f = msg.as<FindAgent>()) {
    find_agent(*f);
  } else if (auto* stored = msg.as<core::RetainStore>()) {
    retained_here(stored->msg);
  } else if (auto* r = msg.as<ClusterRetain>()) {
    retained_there(*r);
  } else if (auto* dump = msg.as<core::RetainedDump>()) {
    ship_retained(*dump);
  } else {
    (void)client_message(msg);
  }
}

// ---- local rows ----

// A filter is announced to the peers while some session here has a route of
// it. Only a change that gave a filter its first route or took its last
// (RouteAdd::first_of_filter, RouteRemove::last_of_filter) is announced,
// and then as the table (core::LocalRoutes) has it when we look, not as
// the change said: changes of several sessions may reach us in another
// order than they were made, but whatever we hear last is announced as
// the table is after every change made so far. A peer takes a repeated add
// or the remove of a missing row as nothing. Nothing is kept per filter
// here (a row per subscription on a fleet: memory counts).
void ClusterAgent::local_add(const core::RouteAdd& add) {
  if (add.group.empty()) {
    if (add.first_of_filter) {
      announce_as_held(add.filter);
    }
    return;
  }
  // A shared group's rows are keyed as the routers key the group.
  std::string key = shared_key(add.group, add.filter.str());
  if (add.replaces) {
    auto it = local_shared_.find(key);
    if (it != local_shared_.end()) {
      it->second.erase(add.replaces);  // a takeover: the row keeps its subscriber count
    }
  }
  auto& subscribers = local_shared_[key];
  bool first = subscribers.size() == 0;
  subscribers.insert_or_assign(add.session, 0);
  if (first) {
    announce_shared(ClusterRoutes::Op::add, add.group, add.filter);
  }
}

void ClusterAgent::local_remove(const core::RouteRemove& remove) {
  if (remove.group.empty()) {
    if (remove.last_of_filter) {
      announce_as_held(remove.filter);
    }
    return;
  }
  auto it = local_shared_.find(shared_key(remove.group, remove.filter));
  if (it == local_shared_.end() || !it->second.erase(remove.session) || it->second.size() != 0) {
    return;
  }
  local_shared_.erase(it);
  announce_shared(ClusterRoutes::Op::remove, remove.group, remove.filter);
}

void ClusterAgent::announce_as_held(std::string_view filter) {
  const bool held = ctx_.routers.local_rows->has_filter(filter);
  announce(held ? ClusterRoutes::Op::add : ClusterRoutes::Op::remove, filter);
}

void ClusterAgent::announce_shared(ClusterRoutes::Op op, const std::string& group, std::string_view filter) {
  for (const auto& [id, peer] : peers_) {
    if (peer.agent.valid()) {
      send<ClusterSharedRoutes>(peer.agent, ClusterSharedRoutes{op, self(), {{group, std::string(filter)}}});
      counters_.routes_out.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void ClusterAgent::announce(ClusterRoutes::Op op, std::string_view filter) {
  for (const auto& [id, peer] : peers_) {
    if (peer.agent.valid()) {
      send<ClusterRoutes>(peer.agent, ClusterRoutes{op, self(), {std::string(filter)}});
      counters_.routes_out.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

// ---- peers ----

void ClusterAgent::node_up(const dist::NodeInfo& peer) {
  auto it = peers_.find(peer.id);
  if (it != peers_.end() && it->second.info.incarnation == peer.incarnation) {
    return;  // known already
  }
  if (it != peers_.end()) {
    node_down(it->second.info);  // an earlier run of it
  }
  peers_[peer.id] = Peer{peer, {}, {}};
  find_agent(FindAgent{peer.id, peer.incarnation});
}

void ClusterAgent::find_agent(const FindAgent& f) {
  auto it = peers_.find(f.node_id);
  if (it == peers_.end() || it->second.info.incarnation != f.incarnation || it->second.agent.valid()) {
    return;  // gone, restarted, or found
  }
  sched::Pid agent = node_.whereis_global(agent_name(it->second.info.name));
  if (!agent.valid() || agent.node() != f.node_id) {
    send_after(self(), sched::make_message<FindAgent>(f), find_agent_every_ms);
    return;
  }
  found_agent(it->second, agent);
}

void ClusterAgent::found_agent(Peer& peer, sched::Pid agent) {
  peer.agent = agent;
  sched::SpawnOptions o;
  o.pinned = true;
  o.start = true;
  peer.forwarder = spawn(std::make_unique<NodeForwarder>(node_, agent, counters_), o);
  counters_.peers.fetch_add(1, std::memory_order_relaxed);
  update_adopters();
  // What the routers' table holds now; a change not yet heard of here is
  // announced to every peer (this one too) when it is (local_add, local_remove).
  ClusterRoutes all{ClusterRoutes::Op::reset, self(), ctx_.routers.local_rows->filters()};
  const std::size_t all_filters = all.filters.size();
  counters_.routes_out.fetch_add(all.filters.size(), std::memory_order_relaxed);
  send<ClusterRoutes>(agent, std::move(all));
  ClusterSharedRoutes groups{ClusterRoutes::Op::reset, self(), {}};
  for (const auto& [key, members] : local_shared_) {
    if (auto gf = split_shared_key(key)) {
      groups.groups.push_back(std::move(*gf));
    }
  }
  counters_.routes_out.fetch_add(groups.groups.size(), std::memory_order_relaxed);
  send<ClusterSharedRoutes>(agent, std::move(groups));
  // And every retained message here (it keeps those newer than its own).
  send<core::RetainDump>(ctx_.retainer, core::RetainDump{self(), peer_tag(peer.info)});
  send_all_clients(agent);
  ACTORMQ_LOG_INFO("cluster: node " << peer.info.name << "'s agent is " << agent.to_string() << "; "
                                    << all_filters << " filter(s) of ours sent");
}

void ClusterAgent::node_down(const dist::NodeInfo& peer) {
  auto it = peers_.find(peer.id);
  if (it == peers_.end() || it->second.info.incarnation != peer.incarnation) {
    return;
  }
  if (it->second.agent.valid()) {
    counters_.peers.fetch_sub(1, std::memory_order_relaxed);
  }
  if (it->second.forwarder.valid()) {
    exit(it->second.forwarder, sched::ExitReason::kill());  // what it holds goes with the node
  }
  // Its agent's routes go (an earlier run's went when this one came up).
  drop_agent(it->second);
  peers_.erase(it);
  update_adopters();
  directory_.drop_node(peer.id);
  counters_.remote_clients.store(directory_.size(), std::memory_order_relaxed);
  peer_gone_from_rounds(peer.id);
}

// ---- peers' rows ----

void ClusterAgent::remote_routes(ClusterRoutes& r) {
  auto it = peers_.find(r.agent.node());
  if (r.agent.node() == runtime().node() || it == peers_.end()) {
    return;  // not a peer we are linked to (any more)
  }
  Peer& peer = it->second;
  if (!peer.agent.valid()) {
    found_agent(peer, r.agent);  // it found us first
  } else if (peer.agent != r.agent) {
    return;  // an earlier run's agent
  }
  counters_.routes_in.fetch_add(r.filters.size(), std::memory_order_relaxed);
  switch (r.op) {
    case ClusterRoutes::Op::reset:
      drop_agent(peer);
      pass_rows(peer, true, std::move(r.filters));
      break;
    case ClusterRoutes::Op::add:
      pass_rows(peer, true, std::move(r.filters));
      break;
    case ClusterRoutes::Op::remove:
      pass_rows(peer, false, std::move(r.filters));
      break;
  }
}

// The routers' table of rows to other nodes (core::NodeRoutes) is the one
// copy of a peer's rows: a repeated add replaces the row, a remove of a row
// it lacks does nothing, and it counts the rows (actormq_cluster_routes_remote).
// Observers (we among them) watch local routes only: the rows go straight in.
void ClusterAgent::pass_rows(Peer& peer, bool add, std::vector<std::string>&& filters) {
  if (filters.empty() || (!add && !peer.rows)) {
    return;
  }
  peer.rows = peer.rows || add;
  core::NodeRoutes& table = *ctx_.routers.node_rows;
  for (std::size_t at = 0; at < filters.size(); at += rows_per_batch) {
    std::span<const std::string> part(filters.data() + at, std::min(rows_per_batch, filters.size() - at));
    table.apply(add, peer.forwarder, part);
    consume(static_cast<std::uint32_t>(part.size()));
  }
}

void ClusterAgent::drop_rows(Peer& peer) {
  if (!peer.rows) {
    return;  // none added: nothing to walk the table for
  }
  peer.rows = false;
  consume(static_cast<std::uint32_t>(ctx_.routers.node_rows->purge(peer.forwarder)));
}

void ClusterAgent::remote_shared(const ClusterSharedRoutes& r) {
  auto it = peers_.find(r.agent.node());
  if (r.agent.node() == runtime().node() || it == peers_.end()) {
    return;
  }
  Peer& peer = it->second;
  if (!peer.agent.valid()) {
    found_agent(peer, r.agent);
  } else if (peer.agent != r.agent) {
    return;
  }
  counters_.routes_in.fetch_add(r.groups.size(), std::memory_order_relaxed);
  if (r.op == ClusterRoutes::Op::reset) {
    drop_shared(r.agent, peer.forwarder);
  }
  auto& held = remote_shared_[r.agent];
  for (const auto& [group, filter] : r.groups) {
    std::string key = shared_key(group, filter);
    bool add = r.op != ClusterRoutes::Op::remove;
    if (add ? !held.insert(key).second : held.erase(key) == 0) {
      continue;
    }
    // The peer's forwarder is one member of the group here, standing for
    // all of the group's members there.
    for (sched::Pid router : ctx_.routers.routers) {
      if (add) {
        send<core::RouteAdd>(router, core::RouteAdd{core::SharedText(filter), group, peer.forwarder, {},
                                                    core::NodeRoutes::row_info, {}, {}});
      } else {
        send<core::RouteRemove>(router, core::RouteRemove{filter, group, peer.forwarder});
      }
    }
  }
}

void ClusterAgent::drop_shared(sched::Pid agent, sched::Pid forwarder) {
  auto it = remote_shared_.find(agent);
  if (it == remote_shared_.end()) {
    return;
  }
  for (const std::string& key : it->second) {
    if (auto gf = split_shared_key(key)) {
      for (sched::Pid router : ctx_.routers.routers) {
        send<core::RouteRemove>(router, core::RouteRemove{gf->second, gf->first, forwarder});
      }
    }
  }
  remote_shared_.erase(it);
}

void ClusterAgent::drop_agent(Peer& peer) {
  if (peer.agent.valid()) {
    drop_shared(peer.agent, peer.forwarder);
  }
  drop_rows(peer);
}

// ---- forwarded publishes ----

void ClusterAgent::forwarded(const core::Deliver& d) {
  if (d.msg == nullptr) {
    return;
  }
  counters_.forwarded_in.fetch_add(1, std::memory_order_relaxed);
  if (mailbox_backlog() >= throttle_above) {
    throttle(d.msg->publisher_pid);
  }
  // An offline persistent session here stores what it queues: the body
  // needs this node's store.
  send<core::RoutePublish>(ctx_.routers.local(),
                           core::RoutePublish{core::attach_to_store(d.msg, ctx_.store), {}, true});
}

void ClusterAgent::forwarded_shared(const ClusterSharedDeliver& d) {
  if (d.msg == nullptr) {
    return;
  }
  counters_.forwarded_in.fetch_add(1, std::memory_order_relaxed);
  if (mailbox_backlog() >= throttle_above) {
    throttle(d.msg->publisher_pid);
  }
  send<core::RouteSharedPublish>(ctx_.routers.local(), core::RouteSharedPublish{core::attach_to_store(d.msg, ctx_.store),
                                                                              shared_key(d.group, d.filter)});
}

void ClusterAgent::throttle(sched::Pid publisher) {
  if (!publisher.valid() || publisher.node() == runtime().node()) {
    return;
  }
  std::uint64_t now = uv_now(scheduler().loop());
  if (throttled_.insert(publisher).second) {
    counters_.throttles.fetch_add(1, std::memory_order_relaxed);
    send<core::Throttle>(publisher, core::Throttle{self()});
    if (throttled_.size() == 1) {
      throttle_sent_ms_ = now;
    }
  } else if (now - throttle_sent_ms_ >= core::throttle_renew_ms) {
    throttle_sent_ms_ = now;
    for (sched::Pid p : throttled_) {
      send<core::Throttle>(p, core::Throttle{self()});
    }
  }
}

void ClusterAgent::after_run() {
  if (!throttled_.empty() && mailbox_within(release_below)) {
    for (sched::Pid p : throttled_) {
      send<core::Unthrottle>(p, core::Unthrottle{self()});
    }
    throttled_.clear();
  }
}

// ---- retained messages ----

std::uint64_t ClusterAgent::peer_tag(const dist::NodeInfo& peer) {
  return (std::uint64_t{peer.id} << 32) | peer.incarnation;
}

void ClusterAgent::retained_here(const core::AppMessagePtr& msg) {
  for (const auto& [id, peer] : peers_) {
    if (peer.agent.valid()) {
      send<ClusterRetain>(peer.agent, ClusterRetain{msg});
    }
  }
  counters_.retained_out.fetch_add(1, std::memory_order_relaxed);
}

void ClusterAgent::retained_there(const ClusterRetain& r) {
  if (r.msg == nullptr) {
    return;
  }
  counters_.retained_in.fetch_add(1, std::memory_order_relaxed);
  send<core::RetainStore>(ctx_.retainer, core::RetainStore{r.msg, {}, true});
}

void ClusterAgent::ship_retained(const core::RetainedDump& dump) {
  auto it = peers_.find(static_cast<std::uint16_t>(dump.tag >> 32));
  if (it == peers_.end() || peer_tag(it->second.info) != dump.tag || !it->second.agent.valid()) {
    return;  // gone or restarted meanwhile: its next run asks anew
  }
  for (const core::AppMessagePtr& m : dump.messages) {
    send<ClusterRetain>(it->second.agent, ClusterRetain{m});
  }
  counters_.retained_out.fetch_add(dump.messages.size(), std::memory_order_relaxed);
}

}  // namespace actormq::cluster
