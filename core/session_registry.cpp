#include "core/session_registry.hpp"

#include <algorithm>

namespace actormq::core {

std::optional<sched::Pid> SessionRegistry::claim(const ClientId& client_id, sched::Pid pid, bool connected) {
  Shard& s = shard(client_id.view());
  std::lock_guard lock(s.mutex);
  auto [it, inserted] = s.sessions.insert(Entry{client_id, pid});
  if (ClientDirectory* d = directory_.load(std::memory_order_acquire)) {
    d->claimed(client_id.str(), pid, connected);
  }
  if (inserted) {
    return std::nullopt;
  }
  sched::Pid old = it->pid;
  it->pid = pid;
  it->id = client_id;
  return old;
}

bool SessionRegistry::release(std::string_view client_id, sched::Pid pid) {
  Shard& s = shard(client_id);
  std::lock_guard lock(s.mutex);
  auto it = s.sessions.find(client_id);
  if (it == s.sessions.end() || it->pid != pid) {
    return false;
  }
  s.sessions.erase(it);
  if (ClientDirectory* d = directory_.load(std::memory_order_acquire)) {
    d->released(std::string(client_id), pid);
  }
  return true;
}

std::optional<sched::Pid> SessionRegistry::find(std::string_view client_id) const {
  Shard& s = shard(client_id);
  std::lock_guard lock(s.mutex);
  auto it = s.sessions.find(client_id);
  if (it == s.sessions.end()) {
    return std::nullopt;
  }
  return it->pid;
}

std::size_t SessionRegistry::size() const {
  std::size_t n = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.sessions.size();
  }
  return n;
}

std::vector<std::pair<std::string, sched::Pid>> SessionRegistry::snapshot() const {
  std::vector<std::pair<std::string, sched::Pid>> out;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const Entry& e : s.sessions) {
      out.emplace_back(e.id.str(), e.pid);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace actormq::core
