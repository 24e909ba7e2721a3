#include "tests/bench/conn_publish.hpp"

#include <algorithm>
#include <random>
#include <unordered_set>

#include "tests/bench/client.hpp"
#include "tests/bench/connector.hpp"
#include "tests/bench/scenarios.hpp"
#include "tests/bench/sysstat.hpp"

namespace mqttbench {

std::vector<uint64_t> pick_distinct(uint64_t n, uint64_t k, uint64_t seed) {
    k = std::min(k, n);
    std::mt19937_64 rng(seed);
    // Floyd's sampling: k draws, no rejection loop, whatever k is next to n.
    std::unordered_set<uint64_t> chosen;
    std::vector<uint64_t> out;
    out.reserve(k);
    for (uint64_t j = n - k; j < n; ++j) {
        uint64_t t = std::uniform_int_distribution<uint64_t>(0, j)(rng);
        uint64_t pick = chosen.insert(t).second ? t : j;
        chosen.insert(pick);
        out.push_back(pick);
    }
    std::shuffle(out.begin(), out.end(), rng);
    return out;
}

namespace {

class TargetPublisher final : public ClientEvents {
public:
    explicit TargetPublisher(Loop& loop) : loop_(loop) {}

    void on_connected(Client&, const ConnackView&) override { connected_ = true; }
    void on_subscribed(Client&, const SubackView&) override {}
    void on_message(Client&, const PublishView&, uint64_t) override {}
    void on_acked(Client&, uint16_t, uint8_t reason) override {
        ++(reason >= 0x80 ? rejected_ : acked_);
        last_ack_ns_ = loop_.now();
    }
    void on_closed(Client&, CloseReason why) override { closed_ = why != CloseReason::local; }

    Loop& loop_;
    bool connected_ = false;
    bool closed_ = false;
    uint64_t acked_ = 0;
    uint64_t rejected_ = 0;
    uint64_t last_ack_ns_ = 0;
};

}  // namespace

PublishOutcome publish_to_targets(const CommonOptions& common, const sockaddr_in& dest, const std::string& pattern,
                                  const std::vector<uint64_t>& targets, uint32_t window, uint64_t deadline_ns) {
    PublishOutcome out;
    Loop loop;
    TargetPublisher events(loop);
    Client client(loop, events, 0, common.version());
    if (!loop.ok() || !client.start(dest, nullptr, client_id(common.client_prefix + "-pub", 0), common.keepalive_s)) {
        return out;
    }
    while (!events.connected_ && !events.closed_ && now_ns() < deadline_ns) {
        loop.run_once(1);
    }
    out.connected = events.connected_;
    uint64_t first_ns = now_ns();
    while (events.connected_ && !events.closed_ && now_ns() < deadline_ns &&
           events.acked_ + events.rejected_ < targets.size()) {
        while (out.sent < targets.size() && client.inflight() < window) {
            uint64_t t = targets[out.sent++];
            (void)client.publish(expand_pattern(pattern, t), 1, false, 64, 0, static_cast<uint32_t>(t));
        }
        loop.run_once(1);
    }
    out.acked = events.acked_;
    out.rejected = events.rejected_;
    out.publish_s = events.last_ack_ns_ > first_ns ? static_cast<double>(events.last_ack_ns_ - first_ns) / 1e9 : 0.0;
    if (events.connected_ && !events.closed_) {
        client.disconnect();
        uint64_t close_deadline = now_ns() + 1000000000ull;
        while (client.state() != Client::State::closed && now_ns() < close_deadline) {
            loop.run_once(10);
        }
    }
    return out;
}

}  // namespace mqttbench
