// The cluster agent's client ids (cluster_agent.hpp, "Client ids"): this
// node's, announced to peers; peers', kept in the directory; releases of
// sessions taken over from other nodes; the later connection after a
// partition.
#include "bridge/cluster/cluster_agent.hpp"

#include "bridge/cluster/node_forwarder.hpp"

#include "core/logger.hpp"
#include "core/session/session.hpp"
#include "sched/runtime.hpp"

namespace actormq::cluster {

bool ClusterAgent::client_message(sched::Message& msg) {
  if (auto* claimed = msg.as<ClientClaimed>()) {
    client_claimed(claimed->row);
  } else if (auto* released = msg.as<ClientReleased>()) {
    client_released(*released);
  } else if (auto* c = msg.as<ClusterClients>()) {
    remote_clients(*c);
  } else if (auto* r = msg.as<core::HandoverRelease>()) {
    release_after_peers(*r);
  } else if (auto* drain = msg.as<core::PeersDrain>()) {
    drain_peers(drain->reply_to);
  } else if (auto* ping = msg.as<ClusterPing>()) {
    answer_ping(*ping);
  } else if (msg.is<core::RouteSynced>()) {
    ping_routers_synced();
  } else if (auto* p = msg.as<ClusterPong>()) {
    pong(*p);
  } else if (auto* a = msg.as<core::AdoptRequest>()) {
    adopt(*a);
  } else {
    return false;
  }
  return true;
}

std::optional<ClusterAgent::LocalClaim> ClusterAgent::local_claim(std::string_view client_id) const {
  const PackedClaim* found = local_claims_.find(claim_key(client_id));
  if (found == nullptr) {
    return std::nullopt;
  }
  return LocalClaim{found->session(runtime().node()), found->claimed_ms()};
}

void ClusterAgent::set_local_claim(std::string_view client_id, const LocalClaim& claim) {
  const core::Hash128 k = claim_key(client_id);
  local_claims_.erase_if(k, [](const PackedClaim&) { return true; });
  local_claims_.insert(k, PackedClaim(claim.session, claim.claimed_ms));
}

void ClusterAgent::client_claimed(const ClientRow& row) {
  set_local_claim(row.client_id, LocalClaim{row.session, row.claimed_ms});
  announce_clients(ClusterRoutes::Op::add, row);
}

void ClusterAgent::client_released(const ClientReleased& r) {
  std::optional<LocalClaim> claim = local_claim(r.client_id);
  if (!claim || claim->session != r.session) {
    return;  // a newer session holds it
  }
  local_claims_.erase_if(claim_key(r.client_id), [](const PackedClaim&) { return true; });
  announce_clients(ClusterRoutes::Op::remove, ClientRow{r.client_id, claim->session, claim->claimed_ms});
}

void ClusterAgent::announce_clients(ClusterRoutes::Op op, const ClientRow& row) {
  for (const auto& [id, peer] : peers_) {
    if (peer.agent.valid()) {
      send<ClusterClients>(peer.agent, ClusterClients{op, self(), {row}});
    }
  }
}

void ClusterAgent::send_all_clients(sched::Pid agent) {
  // The ids from the registry, each with the claim we heard of: an id
  // claimed or released since, but not yet heard of here, is announced
  // (add or remove) when it is, to this peer too.
  ClusterClients all{ClusterRoutes::Op::reset, self(), {}};
  all.rows.reserve(local_claims_.size());
  for (auto& [client_id, pid] : ctx_.registry.snapshot()) {
    std::optional<LocalClaim> claim = local_claim(client_id);
    if (claim && claim->session == pid) {
      all.rows.push_back(ClientRow{std::move(client_id), claim->session, claim->claimed_ms});
    }
  }
  send<ClusterClients>(agent, std::move(all));
}

void ClusterAgent::remote_clients(const ClusterClients& c) {
  auto it = peers_.find(c.agent.node());
  if (c.agent.node() == runtime().node() || it == peers_.end()) {
    return;  // not a peer we are linked to (any more)
  }
  Peer& peer = it->second;
  if (!peer.agent.valid()) {
    found_agent(peer, c.agent);  // it found us first
  } else if (peer.agent != c.agent) {
    return;  // an earlier run's agent
  }
  const std::uint16_t node = c.agent.node();
  switch (c.op) {
    case ClusterRoutes::Op::reset:
      directory_.reset_node(node, c.rows);
      // All of a peer's client ids at once: a link that is new, or back
      // after a partition. A client id both sides hold goes to the later
      // claim; the peer, told ours, ends its own session if ours is later.
      for (const ClientRow& row : c.rows) {
        std::optional<LocalClaim> local = local_claim(row.client_id);
        if (local && earlier(ClientRow{{}, local->session, local->claimed_ms}, row)) {
          ACTORMQ_LOG_NOTICE("cluster: client " << row.client_id << " is connected on node " << peer.info.name
                                                << " too, later; ending its session here");
          counters_.superseded.fetch_add(1, std::memory_order_relaxed);
          send<core::Supersede>(local->session, core::Supersede{});
        }
      }
      break;
    case ClusterRoutes::Op::add:
      for (const ClientRow& row : c.rows) {
        directory_.add(node, row);
      }
      break;
    case ClusterRoutes::Op::remove:
      for (const ClientRow& row : c.rows) {
        directory_.remove(node, row);
      }
      break;
  }
  counters_.remote_clients.store(directory_.size(), std::memory_order_relaxed);
}

void ClusterAgent::release_after_peers(const core::HandoverRelease& release) {
  // The new session's routes went to us (its RouteAdds) before this
  // message; we told every peer of them before this ping. A pong therefore
  // means that peer's routers route to the new session: the old one's
  // routes may go without a message routed to neither.
  ping_peers(PendingRound{release, {}, {}});
}

void ClusterAgent::drain_peers(sched::Pid reply_to) {
  // A pong comes behind everything its node forwarded here before (same
  // link, our mailbox in order), and we pass each forwarded publish to a
  // router before we read the next message: once the last pong is here,
  // what the peers routed to this node is in our routers' mailboxes, ahead
  // of whatever `reply_to` sends them next.
  ping_peers(PendingRound{{}, reply_to, {}});
}

void ClusterAgent::ping_peers(PendingRound round) {
  std::uint64_t tag = next_tag_++;
  for (const auto& [id, peer] : peers_) {
    if (peer.agent.valid()) {
      round.waiting.insert(id);
      send<ClusterPing>(peer.agent, ClusterPing{self(), tag});
    }
  }
  if (round.waiting.empty()) {
    round_done(round);
    return;
  }
  rounds_.emplace(tag, std::move(round));
}

void ClusterAgent::round_done(const PendingRound& round) {
  if (round.drained_to.valid()) {
    send<core::PeersDrained>(round.drained_to, core::PeersDrained{});
  } else {
    send<core::HandoverRelease>(round.release.previous, round.release);
  }
}

void ClusterAgent::pong(const ClusterPong& p) {
  auto it = rounds_.find(p.tag);
  if (it == rounds_.end() || it->second.waiting.erase(p.agent.node()) == 0 || !it->second.waiting.empty()) {
    return;
  }
  round_done(it->second);
  rounds_.erase(it);
}

void ClusterAgent::answer_ping(const ClusterPing& ping) {
  // The pong leaves after everything the pinging agent sent before it (its
  // route changes are in our routers' mailboxes), and behind every publish
  // our routers matched for its node before: the routers confirm they
  // handled what they had (RouteSync), then the pong goes through that
  // node's forwarder, after its backlog. Pings that come while the routers
  // are asked wait for the next round.
  pings_waiting_.push_back(ping);
  if (pings_syncing_.empty()) {
    sync_routers_for_pings();
  }
}

void ClusterAgent::sync_routers_for_pings() {
  pings_syncing_ = std::move(pings_waiting_);
  pings_waiting_.clear();
  router_syncs_left_ = ctx_.routers.sync(runtime(), self());
  if (router_syncs_left_ == 0) {
    ping_routers_synced();
  }
}

void ClusterAgent::ping_routers_synced() {
  if (router_syncs_left_ > 1) {
    --router_syncs_left_;
    return;
  }
  router_syncs_left_ = 0;
  for (const ClusterPing& ping : pings_syncing_) {
    auto it = peers_.find(ping.agent.node());
    if (it != peers_.end() && it->second.agent == ping.agent && it->second.forwarder.valid()) {
      send<PongAfterBacklog>(it->second.forwarder, PongAfterBacklog{ClusterPong{self(), ping.tag}});
    } else {
      send<ClusterPong>(ping.agent, ClusterPong{self(), ping.tag});  // nothing of ours goes there
    }
  }
  pings_syncing_.clear();
  if (!pings_waiting_.empty()) {
    sync_routers_for_pings();
  }
}

void ClusterAgent::adopt(core::AdoptRequest& request) {
  auto it = peers_.find(request.session.node());
  if (request.session.node() == runtime().node() || it == peers_.end() || !it->second.agent.valid()) {
    return;  // not from a peer we are linked to (any more): its session stays there
  }
  if (ctx_.faults.no_adoption) {
    return;  // test only: as a node that does not know the request
  }
  counters_.adopted.fetch_add(1, std::memory_order_relaxed);
  ACTORMQ_LOG_DEBUG("cluster: node " << it->second.info.name << " moves the session of client " << request.client_id
                                     << " here");
  (void)core::spawn_adopter(ctx_, std::move(request));
}

void ClusterAgent::update_adopters() {
  std::vector<core::Adopter> agents;
  for (const auto& [id, peer] : peers_) {
    if (peer.agent.valid()) {
      agents.push_back(core::Adopter{peer.info.name, peer.agent});
    }
  }
  directory_.set_adopters(std::move(agents));
}

void ClusterAgent::peer_gone_from_rounds(std::uint16_t node) {
  for (auto it = rounds_.begin(); it != rounds_.end();) {
    it->second.waiting.erase(node);
    if (it->second.waiting.empty()) {
      round_done(it->second);
      it = rounds_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace actormq::cluster
