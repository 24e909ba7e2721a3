#include "core/routing/node_routes.hpp"

namespace actormq::core {

NodeRoutes::NodeRoutes(std::size_t readers) : locks_(readers) {}

std::size_t NodeRoutes::apply(bool add, sched::Pid forwarder, std::span<const std::string> filters) {
  std::size_t changed = 0;
  {
    auto held = locks_.all();
    for (const std::string& filter : filters) {
      if (has_wildcard(filter)) {
        changed += add ? wildcards_.insert(filter, forwarder, row_info) : wildcards_.erase(filter, forwarder);
        continue;
      }
      const Hash128 k = siphash128(key_, filter);
      auto is_forwarder = [forwarder](const sched::Pid& pid) { return pid == forwarder; };
      if (!add) {
        changed += exact_.erase_if(k, is_forwarder);
        continue;
      }
      bool present = false;
      exact_.for_each(k, [&](const sched::Pid& pid) { present = present || is_forwarder(pid); });
      if (!present) {
        exact_.insert(k, forwarder);
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
    erased += exact_.erase_all_if([forwarder](const Hash128&, const sched::Pid& pid) { return pid == forwarder; });
  }
  rows_.fetch_sub(static_cast<std::int64_t>(erased), std::memory_order_relaxed);
  return erased;
}

}  // namespace actormq::core
