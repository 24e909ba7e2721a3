#include "core/session_registry.hpp"

#include <algorithm>

namespace actormq::core {

std::optional<sched::Pid> SessionRegistry::claim(const std::string& client_id, sched::Pid pid, bool connected) {
  Shard& s = shard(client_id);
  std::lock_guard lock(s.mutex);
  auto [it, inserted] = s.sessions.try_emplace(client_id, pid);
  if (ClientDirectory* d = directory_.load(std::memory_order_acquire)) {
    d->claimed(client_id, pid, connected);
  }
  if (inserted) {
    return std::nullopt;
  }
  sched::Pid old = it->second;
  it->second = pid;
  return old;
}

bool SessionRegistry::release(const std::string& client_id, sched::Pid pid) {
  Shard& s = shard(client_id);
  std::lock_guard lock(s.mutex);
  auto it = s.sessions.find(client_id);
  if (it == s.sessions.end() || it->second != pid) {
    return false;
  }
  s.sessions.erase(it);
  if (ClientDirectory* d = directory_.load(std::memory_order_acquire)) {
    d->released(client_id, pid);
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
  return it->second;
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
    out.insert(out.end(), s.sessions.begin(), s.sessions.end());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace actormq::core
