#pragma once
// /metrics in the Prometheus text format (0.0.4): one # HELP and # TYPE per
// family, names after EMQX's with the actormq_ prefix, counters ending in
// _total. Values come from thread-safe counters (core/metrics.hpp, the
// registry's size, the runtime's process count, the bridges' views, the
// services' metric sources): reading them asks no process and blocks no
// scheduler.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/broker_context.hpp"
#include "core/metrics.hpp"

namespace actormq::core {

/// What the store's writer counted (persist/writer.hpp).
struct StoreStats {
  std::int64_t commits = 0;
  std::int64_t writes = 0;
  std::int64_t failed_commits = 0;
  std::int64_t commit_micros = 0;  ///< the successful commits' time, added up
};

/// The values /metrics reports, read at one moment.
struct MetricsSnapshot {
  std::array<std::int64_t, static_cast<std::size_t>(Counter::count_)> counters{};
  std::array<std::array<std::int64_t, Metrics::packet_types>, 2> packets{};  ///< [PacketFlow][type]
  std::int64_t sessions = 0;     ///< client ids with a session (connected or persistent)
  std::int64_t processes = 0;    ///< live processes of the runtime
  std::int64_t schedulers = 0;
  std::int64_t uptime_s = 0;
  std::vector<std::int64_t> run_queues;  ///< runnable processes waiting, per scheduler
  std::optional<StoreStats> store;       ///< none without a store (data_dir none)
  std::vector<BridgeView> bridges;     ///< one series per bridge and family
  std::vector<MetricFamily> services;  ///< the services' own (core/metric_sources.hpp)

  std::int64_t get(Counter c) const { return counters[static_cast<std::size_t>(c)]; }
};

/// Thread-safe.
[[nodiscard]] MetricsSnapshot snapshot_metrics(BrokerContext& ctx, std::uint64_t started_ms);

/// The text of /metrics.
[[nodiscard]] std::string prometheus_text(const MetricsSnapshot& m);

}  // namespace actormq::core
