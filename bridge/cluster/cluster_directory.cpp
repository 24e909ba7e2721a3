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
  std::lock_guard lock(mutex_);
  auto it = remote_.find(client_id);
  if (it == remote_.end()) {
    return std::nullopt;
  }
  const Held* latest = nullptr;
  for (const Held& h : it->second) {
    if (h.session != except &&
        (latest == nullptr || earlier(ClientRow{{}, latest->session, latest->claimed_ms},
                                      ClientRow{{}, h.session, h.claimed_ms}))) {
      latest = &h;
    }
  }
  return latest != nullptr ? std::optional<sched::Pid>(latest->session) : std::nullopt;
}

void ClusterDirectory::remove_locked(std::uint16_t node, const std::string& client_id) {
  auto it = remote_.find(client_id);
  if (it == remote_.end()) {
    return;
  }
  it->second.erase_if([node](const Held& h) { return h.node == node; });
  if (it->second.empty()) {
    remote_.erase(it);
  }
}

void ClusterDirectory::reset_node(std::uint16_t node, const std::vector<ClientRow>& rows) {
  std::lock_guard lock(mutex_);
  for (auto it = remote_.begin(); it != remote_.end();) {
    it->second.erase_if([node](const Held& h) { return h.node == node; });
    it = it->second.empty() ? remote_.erase(it) : std::next(it);
  }
  for (const ClientRow& row : rows) {
    remote_[row.client_id].push_back(held(node, row));
  }
}

void ClusterDirectory::add(std::uint16_t node, const ClientRow& row) {
  std::lock_guard lock(mutex_);
  remove_locked(node, row.client_id);  // a node holds a client id once
  remote_[row.client_id].push_back(held(node, row));
}

void ClusterDirectory::remove(std::uint16_t node, const ClientRow& row) {
  std::lock_guard lock(mutex_);
  auto it = remote_.find(row.client_id);
  if (it == remote_.end()) {
    return;
  }
  // Only the session that let it go: a newer one of that node keeps it.
  it->second.erase_if([&](const Held& h) { return h.node == node && h.session == row.session; });
  if (it->second.empty()) {
    remote_.erase(it);
  }
}

void ClusterDirectory::drop_node(std::uint16_t node) { reset_node(node, {}); }

std::size_t ClusterDirectory::size() const {
  std::lock_guard lock(mutex_);
  return remote_.size();
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
