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

ClusterDirectory::Held ClusterDirectory::held(std::uint16_t node, const ClientRow& row) {
  constexpr std::uint64_t max_ms = (std::uint64_t{1} << 48) - 1;  // the year 10889
  return Held{row.session, (std::min(row.claimed_ms, max_ms) << 16) | node};
}

std::optional<sched::Pid> ClusterDirectory::find_remote(std::string_view client_id, sched::Pid except) const {
  std::lock_guard lock(mutex_);
  std::optional<Held> latest;
  remote_.for_each(key(client_id), [&](const Held& h) {
    if (h.session != except && (!latest || earlier(ClientRow{{}, latest->session, latest->claimed_ms()},
                                                   ClientRow{{}, h.session, h.claimed_ms()}))) {
      latest = h;
    }
  });
  return latest ? std::optional<sched::Pid>(latest->session) : std::nullopt;
}

void ClusterDirectory::insert_locked(const core::Hash128& k, const Held& h) {
  ids_ += remote_.find(k) == nullptr ? 1 : 0;
  remote_.insert(k, h);
}

template <class P>
void ClusterDirectory::erase_locked(const core::Hash128& k, P&& pred) {
  if (remote_.erase_if(k, pred) == 0) {
    return;
  }
  ids_ -= remote_.find(k) == nullptr ? 1 : 0;
}

void ClusterDirectory::reset_node(std::uint16_t node, const std::vector<ClientRow>& rows) {
  std::lock_guard lock(mutex_);
  remote_.erase_all_if([node](const Held& h) { return h.node() == node; });
  ids_ = remote_.distinct_keys();
  for (const ClientRow& row : rows) {
    const core::Hash128 k = key(row.client_id);
    erase_locked(k, [node](const Held& h) { return h.node() == node; });  // a node holds a client id once
    insert_locked(k, held(node, row));
  }
}

void ClusterDirectory::add(std::uint16_t node, const ClientRow& row) {
  std::lock_guard lock(mutex_);
  const core::Hash128 k = key(row.client_id);
  erase_locked(k, [node](const Held& h) { return h.node() == node; });  // a node holds a client id once
  insert_locked(k, held(node, row));
}

void ClusterDirectory::remove(std::uint16_t node, const ClientRow& row) {
  std::lock_guard lock(mutex_);
  // Only the session that let it go: a newer one of that node keeps it.
  erase_locked(key(row.client_id), [&](const Held& h) { return h.node() == node && h.session == row.session; });
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
