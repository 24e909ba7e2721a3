#include "sched/registry.hpp"

#include <algorithm>

namespace actormq::sched {

bool Registry::add(std::string name, Pid pid) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = by_name_.try_emplace(name, pid);
  if (!inserted) {
    return false;
  }
  by_pid_[pid].push_back(std::move(name));
  return true;
}

std::optional<Pid> Registry::whereis(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    return std::nullopt;
  }
  return it->second;
}

bool Registry::remove(std::string_view name, Pid pid) {
  std::lock_guard lock(mutex_);
  auto it = by_name_.find(name);
  if (it == by_name_.end() || it->second != pid) {
    return false;
  }
  by_name_.erase(it);
  auto names = by_pid_.find(pid);
  if (names != by_pid_.end()) {
    std::erase(names->second, name);
    if (names->second.empty()) {
      by_pid_.erase(names);
    }
  }
  return true;
}

void Registry::remove_all(Pid pid) {
  std::lock_guard lock(mutex_);
  auto names = by_pid_.find(pid);
  if (names == by_pid_.end()) {
    return;
  }
  for (const std::string& name : names->second) {
    by_name_.erase(name);
  }
  by_pid_.erase(names);
}

std::size_t Registry::size() const {
  std::lock_guard lock(mutex_);
  return by_name_.size();
}

}  // namespace actormq::sched
