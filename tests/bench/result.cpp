#include "tests/bench/result.hpp"

#include <cstdarg>
#include <cstdio>

namespace mqttbench {

ResultLine::ResultLine(std::string_view scenario) : text_("RESULT scenario=") {
    text_ += scenario;
}

ResultLine& ResultLine::add(std::string_view key, uint64_t value) {
    return add(key, std::string_view(std::to_string(value)));
}

ResultLine& ResultLine::add(std::string_view key, int64_t value) {
    return add(key, std::string_view(std::to_string(value)));
}

ResultLine& ResultLine::add(std::string_view key, double value) {
    char buf[64];
    // Three decimals for small figures (seconds, ratios), one for rates and percentages.
    std::snprintf(buf, sizeof buf, value > -100 && value < 100 ? "%.3f" : "%.1f", value);
    return add(key, std::string_view(buf));
}

ResultLine& ResultLine::add(std::string_view key, std::string_view value) {
    text_ += ' ';
    text_ += key;
    text_ += '=';
    text_ += value;
    return *this;
}

ResultLine& ResultLine::add_latency(std::string_view prefix, const Histogram& ns) {
    auto us = [](uint64_t v) { return static_cast<double>(v) / 1000.0; };
    std::string p(prefix);
    add(p + "p50_us", us(ns.percentile(0.50)));
    add(p + "p90_us", us(ns.percentile(0.90)));
    add(p + "p99_us", us(ns.percentile(0.99)));
    add(p + "p999_us", us(ns.percentile(0.999)));
    add(p + "max_us", us(ns.max()));
    add(p + "mean_us", ns.mean() / 1000.0);
    return *this;
}

ResultLine& ResultLine::add_cpu(const CpuWindow& w) {
    add("gen_cpu_pct", w.self_pct());
    if (w.machine_pct() >= 0) {
        add("machine_cpu_pct", w.machine_pct());
    }
    if (w.broker_pct() >= 0) {
        add("broker_cpu_pct", w.broker_pct());
        add("broker_rss_kb", w.broker_rss_kb());
    }
    return *this;
}

void ResultLine::print() const {
    std::fputs(text_.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void progress(bool quiet, const char* fmt, ...) {
    if (quiet) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
}

}  // namespace mqttbench
