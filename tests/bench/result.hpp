#pragma once
// The single "RESULT key=value ..." line that ends every run, plus progress lines.

#include <cstdint>
#include <string>
#include <string_view>

#include "tests/bench/histogram.hpp"
#include "tests/bench/sysstat.hpp"

namespace mqttbench {

class ResultLine {
public:
    explicit ResultLine(std::string_view scenario);

    ResultLine& add(std::string_view key, uint64_t value);
    ResultLine& add(std::string_view key, int64_t value);
    ResultLine& add(std::string_view key, int value) { return add(key, static_cast<int64_t>(value)); }
    ResultLine& add(std::string_view key, double value);
    ResultLine& add(std::string_view key, std::string_view value);
    /// p50_us p90_us p99_us p999_us max_us (and mean_us) from a nanosecond histogram.
    ResultLine& add_latency(std::string_view prefix, const Histogram& ns);
    /// gen_cpu_pct, and broker_cpu_pct and broker_rss_kb when a broker pid was given.
    ResultLine& add_cpu(const CpuWindow& w);

    /// Writes the line to stdout and flushes.
    void print() const;
    [[nodiscard]] const std::string& text() const { return text_; }

private:
    std::string text_;
};

/// A progress line on stderr unless quiet.
void progress(bool quiet, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace mqttbench
