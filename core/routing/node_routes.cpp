#include "core/routing/node_routes.hpp"

#include <algorithm>

namespace actormq::core {

NodeRoutes::NodeRoutes(std::size_t readers) : locks_(readers) {}

std::optional<std::uint16_t> NodeRoutes::slot_of(sched::Pid forwarder, bool take) {
  auto it = std::find(forwarders_.begin(), forwarders_.end(), forwarder);
  if (it == forwarders_.end()) {
    if (!take) {
      return std::nullopt;
    }
    it = std::find(forwarders_.begin(), forwarders_.end(), sched::Pid{});  // a purged forwarder's
    if (it == forwarders_.end()) {
      it = forwarders_.insert(forwarders_.end(), forwarder);
    }
    *it = forwarder;
  }
  return static_cast<std::uint16_t>(it - forwarders_.begin());
}

std::size_t NodeRoutes::apply(bool add, sched::Pid forwarder, std::span<const std::string> filters) {
  std::size_t changed = 0;
  {
    auto held = locks_.all();
    const std::optional<std::uint16_t> slot = slot_of(forwarder, add);
    for (const std::string& filter : filters) {
      if (has_wildcard(filter)) {
        changed += add ? wildcards_.insert(filter, forwarder, row_info) : wildcards_.erase(filter, forwarder);
        continue;
      }
      if (!slot) {
        continue;  // a removal for a forwarder without rows
      }
      const Hash128 k = siphash128(key_, filter);
      auto is_forwarder = [slot](std::uint16_t s) { return s == *slot; };
      if (!add) {
        changed += exact_.erase_if(k, is_forwarder);
        continue;
      }
      bool present = false;
      exact_.for_each(k, [&](std::uint16_t s) { present = present || is_forwarder(s); });
      if (!present) {
        exact_.insert(k, *slot);
        ++changed;
      }
    }
  }
  rows_.fetch_add(add ? static_cast<std::int64_t>(changed) : -static_cast<std::int64_t>(changed),
                  std::memory_order_relaxed);
  return changed;
}

std::size_t NodeRoutes::purge(sched::Pid forwarder) {
  std::size_t erased = 0;
  {
    auto held = locks_.all();
    erased = wildcards_.erase_key(forwarder, [](const SubInfo&) {});
    if (auto slot = slot_of(forwarder, false)) {
      erased += exact_.erase_all_if([slot](std::uint16_t s) { return s == *slot; });
      forwarders_[*slot] = sched::Pid{};  // free for the next forwarder
    }
  }
  rows_.fetch_sub(static_cast<std::int64_t>(erased), std::memory_order_relaxed);
  return erased;
}

}  // namespace actormq::core
