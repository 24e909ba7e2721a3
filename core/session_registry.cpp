#include "core/session_registry.hpp"

namespace actormq::core {

std::optional<sched::Pid> SessionRegistry::claim(const std::string& client_id, sched::Pid pid) {
  Shard& s = shard(client_id);
  std::lock_guard lock(s.mutex);
  auto [it, inserted] = s.sessions.try_emplace(client_id, pid);
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

}  // namespace actormq::core
