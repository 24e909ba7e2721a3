#pragma once
// Entry points of the mqttbench scenarios; each prints one RESULT line and returns
// the process exit status.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/bench/options.hpp"

namespace mqttbench {

[[nodiscard]] int run_pub(const CommonOptions& common, TrafficOptions opts);
[[nodiscard]] int run_sub(const CommonOptions& common, TrafficOptions opts);
[[nodiscard]] int run_fanin(const CommonOptions& common, TrafficOptions opts);
[[nodiscard]] int run_fanout(const CommonOptions& common, TrafficOptions opts);
/// clients: each subscribes to its own topic and publishes to the next one's.
[[nodiscard]] int run_pairs(const CommonOptions& common, TrafficOptions opts, uint32_t clients);
[[nodiscard]] int run_retained(const CommonOptions& common, const RetainedOptions& opts);
[[nodiscard]] int run_conn(const CommonOptions& common, const ConnOptions& opts);
/// Not a load: latency percentiles of a --latency-log file over "NAME:FROM_NS:TO_NS"
/// spans of send times, as RESULT window NAME_n=... NAME_p50_us=...
[[nodiscard]] int run_window(const std::string& log_path, const std::vector<std::string>& spans);

/// Replaces every "%i" in pattern with index and every "%r" with this run's id (the pid).
[[nodiscard]] std::string expand_pattern(std::string_view pattern, uint64_t index);

}  // namespace mqttbench
