#include "core/metrics.hpp"

#include "sched/scheduler.hpp"

namespace actormq::core {

std::string_view counter_name(Counter c) {
  static constexpr std::string_view names[] = {
      "messages_received", "messages_sent",     "bytes_received",   "bytes_sent",
      "publish_dropped",   "connects",          "malformed",        "auth_failures",
      "clients_connected", "clients_maximum",   "subscriptions",    "session_crashes",   "retained_messages",
      "acl_denied",        "publish_rate_limited", "store_failures", "auth_successes",
      "acl_allowed",       "dropped_expired",   "dropped_queue_full", "dropped_qos0_offline", "dropped_too_large",
  };
  static_assert(std::size(names) == static_cast<std::size_t>(Counter::count_));
  return names[static_cast<std::size_t>(c)];
}

Metrics::Shard& Metrics::local() {
  // Threads that are not schedulers (start-up, tests) share the last shard.
  sched::Scheduler* s = sched::Scheduler::current();
  std::size_t i = s != nullptr ? s->id() % (max_shards - 1) : max_shards - 1;
  return shards_[i];
}

void Metrics::add(Counter c, std::int64_t n) {
  local().values[static_cast<std::size_t>(c)].fetch_add(n, std::memory_order_relaxed);
  if (c == Counter::clients_connected && n > 0) {
    std::int64_t now = get(Counter::clients_connected);
    auto& max = shards_[max_shards - 1].values[static_cast<std::size_t>(Counter::clients_maximum)];
    std::int64_t seen = max.load(std::memory_order_relaxed);
    while (now > seen && !max.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
  }
}

std::int64_t Metrics::get(Counter c) const {
  std::int64_t sum = 0;
  for (const Shard& s : shards_) {
    sum += s.values[static_cast<std::size_t>(c)].load(std::memory_order_relaxed);
  }
  return sum;
}

void Metrics::add_packet(PacketFlow flow, std::uint8_t type) {
  if (type == 0 || type >= packet_types) {
    return;
  }
  local().packets[static_cast<std::size_t>(flow) * packet_types + type].fetch_add(1, std::memory_order_relaxed);
}

std::int64_t Metrics::packets(PacketFlow flow, std::uint8_t type) const {
  if (type >= packet_types) {
    return 0;
  }
  std::int64_t sum = 0;
  for (const Shard& s : shards_) {
    sum += s.packets[static_cast<std::size_t>(flow) * packet_types + type].load(std::memory_order_relaxed);
  }
  return sum;
}

}  // namespace actormq::core
