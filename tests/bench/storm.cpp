#include "tests/bench/storm.hpp"

#include <algorithm>
#include <charconv>

namespace mqttbench {

namespace {

// The value of " key=" in a line of space-separated fields.
std::optional<uint64_t> field_u64(std::string_view line, std::string_view key) {
    for (size_t at = 0; (at = line.find(key, at)) != std::string_view::npos; at += key.size()) {
        size_t eq = at + key.size();
        if (at == 0 || line[at - 1] != ' ' || eq >= line.size() || line[eq] != '=') {
            continue;
        }
        uint64_t v = 0;
        const char* first = line.data() + eq + 1;
        const char* last = line.data() + line.size();
        auto [end, ec] = std::from_chars(first, last, v);
        if (ec != std::errc{} || end == first || (end != last && *end != ' ')) {
            return std::nullopt;
        }
        return v;
    }
    return std::nullopt;
}

}  // namespace

std::string StormTally::line(uint64_t cpu_us) const {
    return "STORM dropped=" + std::to_string(dropped_) + " back=" + std::to_string(back_) +
           " failures=" + std::to_string(failures_) + " back_ns=" + std::to_string(all_back() ? back_ns_ : 0) +
           " cpu_us=" + std::to_string(cpu_us) + "\n";
}

std::optional<StormReport> StormReport::parse(std::string_view line) {
    if (!line.empty() && line.back() == '\n') {
        line.remove_suffix(1);
    }
    if (line.rfind("STORM ", 0) != 0) {
        return std::nullopt;
    }
    auto dropped = field_u64(line, "dropped");
    auto back = field_u64(line, "back");
    auto failures = field_u64(line, "failures");
    auto back_ns = field_u64(line, "back_ns");
    auto cpu_us = field_u64(line, "cpu_us");
    if (!dropped || !back || !failures || !back_ns || !cpu_us || *back > *dropped) {
        return std::nullopt;
    }
    StormReport r;
    r.dropped = *dropped;
    r.back = *back;
    r.failures = *failures;
    r.cpu_us = *cpu_us;
    r.all_back = *back == *dropped && (*back_ns != 0 || *dropped == 0);
    r.back_ns = r.all_back ? *back_ns : 0;
    return r;
}

void StormReport::merge(const StormReport& other) {
    all_back = all_back && other.all_back;
    dropped += other.dropped;
    back += other.back;
    failures += other.failures;
    cpu_us += other.cpu_us;
    back_ns = all_back ? std::max(back_ns, other.back_ns) : 0;
}

}  // namespace mqttbench
