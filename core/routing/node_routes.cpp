#include "core/routing/node_routes.hpp"

namespace actormq::core {

NodeRoutes::NodeRoutes(std::size_t readers)
    : readers_(readers == 0 ? 1 : readers), locks_(std::make_unique<ReaderLock[]>(readers_)) {}

std::vector<std::unique_lock<std::mutex>> NodeRoutes::lock_all() const {
  std::vector<std::unique_lock<std::mutex>> held;
  held.reserve(readers_);
  for (std::size_t i = 0; i < readers_; ++i) {
    held.emplace_back(locks_[i].mutex);
  }
  return held;
}

std::size_t NodeRoutes::apply(bool add, sched::Pid forwarder, const SubInfo& info,
                              std::span<const std::string> filters) {
  std::size_t changed = 0;
  {
    auto held = lock_all();
    for (const std::string& filter : filters) {
      changed += add ? table_.insert(filter, forwarder, info) : table_.erase(filter, forwarder);
    }
  }
  rows_.fetch_add(add ? static_cast<std::int64_t>(changed) : -static_cast<std::int64_t>(changed),
                  std::memory_order_relaxed);
  return changed;
}

std::size_t NodeRoutes::purge(sched::Pid forwarder) {
  std::size_t erased = 0;
  {
    auto held = lock_all();
    erased = table_.erase_key(forwarder, [](const SubInfo&) {});
  }
  rows_.fetch_sub(static_cast<std::int64_t>(erased), std::memory_order_relaxed);
  return erased;
}

}  // namespace actormq::core
