#pragma once
// The conn scenario's delivery check: one more client publishes a QoS 1 message
// to each of a set of connections' own topics (chosen at random, distinct), so the
// workers can count what reached whom.

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/bench/options.hpp"

namespace mqttbench {

/// k distinct indices out of [0, n) (all of them when k >= n), in random order.
[[nodiscard]] std::vector<uint64_t> pick_distinct(uint64_t n, uint64_t k, uint64_t seed);

struct PublishOutcome {
    bool connected = false;
    uint64_t sent = 0;
    uint64_t acked = 0;     // PUBACKs with a success code
    uint64_t rejected = 0;  // PUBACKs with a failure code (v5)
    double publish_s = 0;   // first publish to last PUBACK
};

/// Connects one client to dest and publishes to expand_pattern(pattern, t) for each
/// target t, the stamp's sequence number t, at most `window` awaiting PUBACK; returns
/// once every PUBACK is in, the client is lost, or deadline_ns passes.
[[nodiscard]] PublishOutcome publish_to_targets(const CommonOptions& common, const sockaddr_in& dest,
                                                const std::string& pattern, const std::vector<uint64_t>& targets,
                                                uint32_t window, uint64_t deadline_ns);

}  // namespace mqttbench
