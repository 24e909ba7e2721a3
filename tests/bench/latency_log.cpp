#include "tests/bench/latency_log.hpp"

#include <charconv>

namespace mqttbench {

namespace {

// An unsigned decimal that is the whole of text.
std::optional<uint64_t> whole_u64(std::string_view text) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || text.empty() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return v;
}

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::optional<LatencySpan> LatencySpan::parse(std::string_view text) {
    size_t a = text.find(':');
    size_t b = a == std::string_view::npos ? a : text.find(':', a + 1);
    if (b == std::string_view::npos || a == 0) {
        return std::nullopt;
    }
    std::string_view name = text.substr(0, a);
    for (char c : name) {
        if (!name_char(c)) {
            return std::nullopt;
        }
    }
    auto from = whole_u64(text.substr(a + 1, b - a - 1));
    auto to = whole_u64(text.substr(b + 1));
    if (!from || !to || *from > *to) {
        return std::nullopt;
    }
    return LatencySpan{std::string(name), *from, *to};
}

std::string latency_sample_line(uint64_t sent_ns, uint64_t latency_ns) {
    return std::to_string(sent_ns) + " " + std::to_string(latency_ns) + "\n";
}

LatencyWindows::LatencyWindows(std::vector<LatencySpan> spans) : spans_(std::move(spans)), hists_(spans_.size()) {}

bool LatencyWindows::add_line(std::string_view line) {
    if (!line.empty() && line.back() == '\n') {
        line.remove_suffix(1);
    }
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) {
        return false;
    }
    auto sent = whole_u64(line.substr(0, sp));
    auto latency = whole_u64(line.substr(sp + 1));
    if (!sent || !latency) {
        return false;
    }
    add(*sent, *latency);
    return true;
}

void LatencyWindows::add(uint64_t sent_ns, uint64_t latency_ns) {
    for (size_t i = 0; i < spans_.size(); ++i) {
        if (sent_ns >= spans_[i].from_ns && sent_ns < spans_[i].to_ns) {
            hists_[i].record(latency_ns);
        }
    }
}

}  // namespace mqttbench
