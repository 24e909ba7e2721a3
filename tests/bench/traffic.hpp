#pragma once
// The publish/subscribe engine behind pub, sub, fanin, fanout and pairs: connect
// every client, subscribe, publish at the asked rate for the asked time, drain, and
// account for every message (sent, acknowledged, delivered, lost, duplicated, latency).

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tests/bench/client.hpp"
#include "tests/bench/connector.hpp"
#include "tests/bench/histogram.hpp"
#include "tests/bench/loop.hpp"
#include "tests/bench/options.hpp"
#include "tests/bench/sysstat.hpp"

namespace mqttbench {

/// One client's role: it may publish (publisher >= 0), subscribe, or both.
struct ClientSpec {
    int32_t publisher = -1;
    std::string topic;
    std::vector<std::string> filters;
};

struct TrafficPlan {
    std::string scenario;
    std::vector<ClientSpec> clients;
    /// Subscribers that receive each publisher's messages; computed from the
    /// filters when left empty.
    std::vector<uint32_t> fanout;
};

class Traffic final : public ClientEvents {
public:
    Traffic(const CommonOptions& common, const TrafficOptions& opts, TrafficPlan plan);

    /// Runs every phase, prints the RESULT line and returns the exit status.
    [[nodiscard]] int run();

    void on_connected(Client& c, const ConnackView& ack) override;
    void on_subscribed(Client& c, const SubackView& ack) override;
    void on_message(Client& c, const PublishView& msg, uint64_t recv_ns) override;
    void on_acked(Client& c, uint16_t packet_id, uint8_t reason) override;
    void on_closed(Client& c, CloseReason why) override;

private:
    struct PublisherState {
        uint32_t client = 0;
        uint64_t start_ns = 0;     // this publisher's phase-shifted schedule origin
        uint64_t sent = 0;
        uint64_t acked = 0;
        uint64_t rejected = 0;     // v5 acks with a failure reason code
    };

    [[nodiscard]] bool setup();
    void compute_fanout();
    void publish_tick(uint64_t now);
    [[nodiscard]] bool publishing_done(uint64_t now) const;
    [[nodiscard]] bool drained() const;
    [[nodiscard]] uint64_t expected() const;
    [[nodiscard]] uint32_t window(const Client& c) const;
    void report_progress(uint64_t now);
    void close_all();
    [[nodiscard]] int finish();

    CommonOptions common_;
    TrafficOptions opts_;
    TrafficPlan plan_;
    Loop loop_;
    std::vector<std::unique_ptr<Client>> clients_;
    std::vector<PublisherState> pubs_;
    std::unique_ptr<ConnectPacer> pacer_;
    uint8_t qos_ = 0;
    uint8_t sub_qos_ = 0;
    uint32_t sub_clients_ = 0;

    // setup
    uint64_t connected_ = 0;
    uint64_t connect_failed_ = 0;
    uint64_t subacks_pending_ = 0;
    uint64_t suback_failed_ = 0;
    uint64_t dropped_ = 0;
    bool closing_ = false;
    Histogram connect_ns_;

    // measurement
    uint64_t pub_start_ns_ = 0;
    uint64_t pub_end_ns_ = 0;
    uint64_t last_progress_ns_ = 0;    // last received message or ack
    uint64_t first_recv_ns_ = 0;
    uint64_t last_recv_ns_ = 0;
    uint64_t received_ = 0;
    uint64_t duplicates_ = 0;          // sequence numbers at or below one already seen
    uint64_t gaps_ = 0;                // sequence numbers skipped (seen out of order or lost)
    uint64_t foreign_ = 0;             // messages without a valid stamp, or retained
    std::unordered_map<uint64_t, uint32_t> next_seq_;  // (subscriber << 32 | publisher) -> seq
    Histogram latency_ns_;
    std::unique_ptr<FILE, int (*)(FILE*)> latency_log_{nullptr, &std::fclose};
    CpuWindow cpu_;

    // progress
    uint64_t next_report_ns_ = 0;
    uint64_t report_received_ = 0;
    uint64_t report_sent_ = 0;
};

}  // namespace mqttbench
