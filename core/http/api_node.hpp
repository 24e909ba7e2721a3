#pragma once
// The resources of this node: status, nodes, stats, listeners. Answered at
// once from thread-safe state: the counters (core/metrics.hpp), the
// registry's size, the runtime's process count and the listeners'
// open-connection counts.

#include "core/http/api.hpp"

namespace actormq::core {

[[nodiscard]] Json status_json(const ApiEnv& env);
/// This node as the nodes resource shows it.
[[nodiscard]] Json node_json(const ApiEnv& env);
[[nodiscard]] Json stats_json(const ApiEnv& env);
[[nodiscard]] Json listeners_json(const ApiEnv& env);

}  // namespace actormq::core
