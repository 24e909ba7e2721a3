#include "core/routing/node_routes.hpp"

namespace actormq::core {

NodeRoutes::NodeRoutes(std::size_t readers, std::atomic<std::int64_t>* gauge)
    : readers_(readers == 0 ? 1 : readers), locks_(std::make_unique<ReaderLock[]>(readers_)), gauge_(gauge) {}

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
  count(add ? static_cast<std::int64_t>(changed) : -static_cast<std::int64_t>(changed));
  return changed;
}

std::size_t NodeRoutes::purge(sched::Pid forwarder) {
  std::size_t erased = 0;
  {
    auto held = lock_all();
    erased = table_.erase_key(forwarder, [](const SubInfo&) {});
  }
  count(-static_cast<std::int64_t>(erased));
  return erased;
}

void NodeRoutes::count(std::int64_t delta) {
  if (delta == 0) {
    return;
  }
  std::int64_t now = rows_.fetch_add(delta, std::memory_order_relaxed) + delta;
  if (gauge_ != nullptr) {
    gauge_->store(now, std::memory_order_relaxed);
  }
}

}  // namespace actormq::core
