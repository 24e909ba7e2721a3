#pragma once
// Per-message latencies written by a traffic run (--latency-log) and read back
// for time windows that another process measured, e.g. the quiet seconds before
// a reconnect storm and the storm itself. One line per delivered message:
//   "SENT_NS LATENCY_NS"   (SENT_NS: the publisher's CLOCK_MONOTONIC stamp)
// A window takes the messages sent within it, however late they arrived.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/bench/histogram.hpp"

namespace mqttbench {

/// A named half-open window [from_ns, to_ns) of send times.
struct LatencySpan {
    std::string name;
    uint64_t from_ns = 0;
    uint64_t to_ns = 0;

    /// "NAME:FROM_NS:TO_NS" with FROM_NS <= TO_NS and a name of letters, digits or '_'.
    [[nodiscard]] static std::optional<LatencySpan> parse(std::string_view text);
};

[[nodiscard]] std::string latency_sample_line(uint64_t sent_ns, uint64_t latency_ns);

/// Histograms of the latencies of the messages sent in each span.
class LatencyWindows {
public:
    explicit LatencyWindows(std::vector<LatencySpan> spans);

    /// Reads one log line; false (and nothing recorded) when it is malformed.
    bool add_line(std::string_view line);
    void add(uint64_t sent_ns, uint64_t latency_ns);

    [[nodiscard]] const std::vector<LatencySpan>& spans() const { return spans_; }
    [[nodiscard]] const Histogram& histogram(size_t span) const { return hists_[span]; }

private:
    std::vector<LatencySpan> spans_;
    std::vector<Histogram> hists_;
};

}  // namespace mqttbench
