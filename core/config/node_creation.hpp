#pragma once
// A node's creation (Erlang's): which run of the node this is, in every pid
// it gives out (sched/pid.hpp), so that a pid kept by a peer from an earlier
// run of this node reaches no process of this run.

#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace actormq::core {

/// With a data directory: one more than the last start's (1..255, then 1
/// again), kept in `<data_dir>/node_creation` (written to a temporary file,
/// synced and renamed, so a crash leaves the old or the new value), so that
/// a pid from any of the last 254 runs reaches no process of this one. The
/// directory is created if missing. A file that is unreadable or holds no
/// creation is an error naming it.
[[nodiscard]] Result<std::uint8_t> next_node_creation(const std::string& data_dir);

/// Without a data directory: a random creation in 1..255 (two runs then
/// share one with probability 1/255).
[[nodiscard]] std::uint8_t random_node_creation();

}  // namespace actormq::core
