#include "bridge/cluster/cluster_directory.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "sched/runtime.hpp"

namespace actormq::cluster {

bool earlier(const ClientRow& a, const ClientRow& b) {
  if (a.claimed_ms != b.claimed_ms) {
    return a.claimed_ms < b.claimed_ms;
  }
  return a.session.node() < b.session.node();  // the same millisecond: the node id decides, alike everywhere
}

void ClusterDirectory::claimed(const std::string& client_id, sched::Pid pid, bool connected) {
  // An offline session claims at time 0: the later connection is any connection.
  runtime_.send<ClientClaimed>(agent_, ClientClaimed{ClientRow{client_id, pid, connected ? core::wall_ms() : 0}});
}

void ClusterDirectory::released(const std::string& client_id, sched::Pid pid) {
  runtime_.send<ClientReleased>(agent_, ClientReleased{client_id, pid});
}

std::optional<sched::Pid> ClusterDirectory::find_remote(std::string_view client_id, sched::Pid except) const {
  const core::Hash128 k = key(client_id);
  std::lock_guard lock(mutex_);
  std::optional<ClientRow> latest;
  for (const NodeClaims& t : nodes_) {
    t.rows.for_each(k, [&](const PackedClaim& c) {
      ClientRow row{{}, c.session(t.node), c.claimed_ms()};
      if (row.session != except && (!latest || earlier(*latest, row))) {
        latest = std::move(row);
      }
    });
  }
  return latest ? std::optional<sched::Pid>(latest->session) : std::nullopt;
}

std::vector<ClusterDirectory::NodeClaims>::iterator ClusterDirectory::find_table(std::uint16_t node) {
  return std::find_if(nodes_.begin(), nodes_.end(), [node](const NodeClaims& t) { return t.node == node; });
}

ClusterDirectory::NodeClaims& ClusterDirectory::table(std::uint16_t node) {
  auto it = find_table(node);
  return it != nodes_.end() ? *it : nodes_.emplace_back(NodeClaims{node, {}});
}

bool ClusterDirectory::elsewhere(const core::Hash128& k, const NodeClaims* except) const {
  return std::any_of(nodes_.begin(), nodes_.end(),
                     [&](const NodeClaims& t) { return &t != except && t.rows.find(k) != nullptr; });
}

void ClusterDirectory::insert_locked(NodeClaims& t, const core::Hash128& k, const ClientRow& row) {
  ids_ += t.rows.find(k) == nullptr && !elsewhere(k, &t) ? 1 : 0;
  t.rows.insert(k, PackedClaim(row.session, row.claimed_ms));
}

template <class P>
void ClusterDirectory::erase_locked(NodeClaims& t, const core::Hash128& k, P&& pred) {
  if (t.rows.erase_if(k, pred) == 0) {
    return;
  }
  ids_ -= t.rows.find(k) == nullptr && !elsewhere(k, &t) ? 1 : 0;
}

void ClusterDirectory::reset_node(std::uint16_t node, const std::vector<ClientRow>& rows) {
  std::lock_guard lock(mutex_);
  auto it = find_table(node);
  if (it != nodes_.end()) {
    // Uncount the ids only this node held, then drop its table whole.
    NodeClaims gone = std::move(*it);
    nodes_.erase(it);
    gone.rows.for_each_row([&](const core::Hash128& k, const PackedClaim&) { ids_ -= elsewhere(k, nullptr) ? 0 : 1; });
  }
  if (rows.empty()) {
    return;
  }
  NodeClaims& t = table(node);
  for (const ClientRow& row : rows) {
    const core::Hash128 k = key(row.client_id);
    erase_locked(t, k, [](const PackedClaim&) { return true; });  // a node holds a client id once
    insert_locked(t, k, row);
  }
}

void ClusterDirectory::add(std::uint16_t node, const ClientRow& row) {
  std::lock_guard lock(mutex_);
  NodeClaims& t = table(node);
  const core::Hash128 k = key(row.client_id);
  erase_locked(t, k, [](const PackedClaim&) { return true; });  // a node holds a client id once
  insert_locked(t, k, row);
}

void ClusterDirectory::remove(std::uint16_t node, const ClientRow& row) {
  std::lock_guard lock(mutex_);
  // Only the session that let it go: a newer one of that node keeps it.
  auto it = find_table(node);
  if (it != nodes_.end()) {
    erase_locked(*it, key(row.client_id), [&](const PackedClaim& c) { return c.session(node) == row.session; });
  }
}

void ClusterDirectory::drop_node(std::uint16_t node) { reset_node(node, {}); }

std::size_t ClusterDirectory::size() const {
  std::lock_guard lock(mutex_);
  return ids_;
}

std::vector<core::Adopter> ClusterDirectory::adopters() const {
  std::lock_guard lock(mutex_);
  return adopters_;
}

void ClusterDirectory::set_adopters(std::vector<core::Adopter> agents) {
  std::lock_guard lock(mutex_);
  adopters_ = std::move(agents);
}

}  // namespace actormq::cluster
