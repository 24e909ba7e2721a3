// window: reads a --latency-log file back for spans of send times that another
// process measured (the quiet seconds before a reconnect storm, the storm).

#include <cstdio>
#include <memory>

#include "tests/bench/latency_log.hpp"
#include "tests/bench/result.hpp"
#include "tests/bench/scenarios.hpp"

namespace mqttbench {

int run_window(const std::string& log_path, const std::vector<std::string>& span_texts) {
    std::vector<LatencySpan> spans;
    for (const std::string& text : span_texts) {
        auto span = LatencySpan::parse(text);
        if (!span) {
            progress(false, "bad span %s: NAME:FROM_NS:TO_NS expected", text.c_str());
            return 2;
        }
        spans.push_back(std::move(*span));
    }
    std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(log_path.c_str(), "r"), &std::fclose);
    if (!in) {
        progress(false, "cannot read %s", log_path.c_str());
        return 2;
    }
    LatencyWindows windows(std::move(spans));
    uint64_t lines = 0;
    uint64_t malformed = 0;
    char buf[128];
    while (std::fgets(buf, sizeof buf, in.get()) != nullptr) {
        ++lines;
        malformed += windows.add_line(buf) ? 0 : 1;
    }
    ResultLine r("window");
    r.add("lines", lines).add("malformed", malformed);
    for (size_t i = 0; i < windows.spans().size(); ++i) {
        const LatencySpan& s = windows.spans()[i];
        r.add(s.name + "_n", windows.histogram(i).count())
            .add(s.name + "_s", static_cast<double>(s.to_ns - s.from_ns) / 1e9)
            .add_latency(s.name + "_", windows.histogram(i));
    }
    r.print();
    return malformed == 0 ? 0 : 1;
}

}  // namespace mqttbench
