#pragma once
// The reconnect storm of the conn scenario (--storm): every connection is dropped
// at one instant and reconnects. A worker keeps a StormTally of its own
// connections and reports it as one line; the parent merges the workers' lines.
//   worker -> parent  "STORM dropped=N back=N failures=N back_ns=T cpu_us=U"
// back_ns is CLOCK_MONOTONIC at the CONNACK that brought the last dropped
// connection back, 0 while any is still out; cpu_us the worker's CPU since the
// drop (to the last report, or to back_ns once all are back).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mqttbench {

class StormTally {
public:
    /// The drop: `dropped` connections are out from now on.
    void begin(uint64_t dropped) {
        dropped_ = dropped;
        back_ = 0;
        failures_ = 0;
        back_ns_ = 0;
        active_ = true;
    }
    /// A dropped connection has its CONNACK again at now_ns.
    void on_back(uint64_t now_ns) {
        if (!active_ || back_ >= dropped_) {
            return;
        }
        if (++back_ == dropped_) {
            back_ns_ = now_ns;
        }
    }
    /// A reconnection attempt ended before its CONNACK (it is retried).
    void on_failed_attempt() {
        if (active_) {
            ++failures_;
        }
    }
    /// A connection that was back was lost again: it is out once more.
    void on_lost_again() {
        if (active_ && back_ > 0) {
            --back_;
            back_ns_ = 0;
        }
    }

    [[nodiscard]] bool active() const { return active_; }
    [[nodiscard]] bool all_back() const { return active_ && back_ == dropped_; }
    /// The report; cpu_us: the worker's CPU since the drop.
    [[nodiscard]] std::string line(uint64_t cpu_us) const;

private:
    bool active_ = false;
    uint64_t dropped_ = 0;
    uint64_t back_ = 0;
    uint64_t failures_ = 0;
    uint64_t back_ns_ = 0;
};

/// A STORM line as read back, or the sum over workers.
struct StormReport {
    uint64_t dropped = 0;
    uint64_t back = 0;
    uint64_t failures = 0;
    uint64_t back_ns = 0;  // the latest of the workers'; 0 if any is still out
    uint64_t cpu_us = 0;
    bool all_back = true;  // vacuously, for an empty sum

    /// Parses a worker's STORM line; nullopt when it is not one or a field is missing.
    [[nodiscard]] static std::optional<StormReport> parse(std::string_view line);
    /// Adds another worker's report: all back only when both are.
    void merge(const StormReport& other);
};

}  // namespace mqttbench
