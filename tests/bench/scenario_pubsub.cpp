// pub, sub, fanin, fanout and pairs: plans for the traffic engine.

#include <unistd.h>

#include "tests/bench/scenarios.hpp"
#include "tests/bench/traffic.hpp"

namespace mqttbench {

std::string expand_pattern(std::string_view pattern, uint64_t index) {
    std::string out;
    std::string idx = std::to_string(index);
    std::string run = std::to_string(getpid());
    for (size_t i = 0; i < pattern.size(); ++i) {
        char next = i + 1 < pattern.size() ? pattern[i + 1] : '\0';
        if (pattern[i] == '%' && (next == 'i' || next == 'r')) {
            out += next == 'i' ? idx : run;
            ++i;
        } else {
            out += pattern[i];
        }
    }
    return out;
}

namespace {

TrafficPlan plan(std::string scenario, const TrafficOptions& o, uint32_t pubs, uint32_t subs) {
    TrafficPlan p;
    p.scenario = std::move(scenario);
    // Subscribers first so they are connected and subscribed before anyone publishes.
    for (uint32_t s = 0; s < subs; ++s) {
        ClientSpec c;
        c.filters.push_back(expand_pattern(o.filter, s));
        p.clients.push_back(std::move(c));
    }
    for (uint32_t i = 0; i < pubs; ++i) {
        ClientSpec c;
        c.publisher = static_cast<int32_t>(i);
        c.topic = expand_pattern(o.topic, i);
        p.clients.push_back(std::move(c));
    }
    return p;
}

void default_patterns(TrafficOptions& o, std::string_view topic, std::string_view filter) {
    if (o.topic.empty()) {
        o.topic = topic;
    }
    if (o.filter.empty()) {
        o.filter = filter;
    }
}

}  // namespace

int run_pub(const CommonOptions& common, TrafficOptions o) {
    default_patterns(o, "bench/t/%i", "bench/t/+");
    return Traffic(common, o, plan("pub", o, o.publishers, 0)).run();
}

int run_sub(const CommonOptions& common, TrafficOptions o) {
    default_patterns(o, "bench/t/%i", "bench/t/+");
    return Traffic(common, o, plan("sub", o, 0, o.subscribers)).run();
}

int run_fanin(const CommonOptions& common, TrafficOptions o) {
    // The run id keeps a previous run's late messages out of this one's counts.
    default_patterns(o, "bench/%r/fanin/%i", "bench/%r/fanin/+");
    return Traffic(common, o, plan("fanin", o, o.publishers, o.subscribers)).run();
}

int run_fanout(const CommonOptions& common, TrafficOptions o) {
    default_patterns(o, "bench/%r/fanout", "bench/%r/fanout");
    return Traffic(common, o, plan("fanout", o, o.publishers, o.subscribers)).run();
}

int run_pairs(const CommonOptions& common, TrafficOptions o, uint32_t clients) {
    default_patterns(o, "bench/%r/pairs/%i", "bench/%r/pairs/%i");
    TrafficPlan p;
    p.scenario = "pairs";
    for (uint32_t i = 0; i < clients; ++i) {
        ClientSpec c;
        c.publisher = static_cast<int32_t>(i);
        c.topic = expand_pattern(o.topic, (i + 1) % clients);
        c.filters.push_back(expand_pattern(o.filter, i));
        p.clients.push_back(std::move(c));
    }
    // Each topic has exactly one subscriber by construction; no need to match
    // clients x clients filters.
    p.fanout.assign(clients, 1);
    return Traffic(common, o, std::move(p)).run();
}

}  // namespace mqttbench
