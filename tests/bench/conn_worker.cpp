#include "tests/bench/conn_worker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/bench/client.hpp"
#include "tests/bench/connector.hpp"
#include "tests/bench/histogram.hpp"
#include "tests/bench/payload.hpp"
#include "tests/bench/scenarios.hpp"
#include "tests/bench/storm.hpp"
#include "tests/bench/sysstat.hpp"

namespace mqttbench {

namespace {

constexpr uint64_t second_ns = 1000000000ull;

bool write_line(int fd, const std::string& line) {
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    return true;
}

// Readable control pipe: the parent says storm ('S') or stop (any other byte,
// or EOF if it went away).
class StopSignal final : public Pollable {
public:
    explicit StopSignal(int fd) : fd_(fd) {}
    void on_events(uint32_t) override {
        char buf[16];
        ssize_t n;
        while ((n = ::read(fd_, buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; ++i) {
                (buf[i] == 'S' ? storm_ : stopped_) = true;
            }
        }
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            stopped_ = true;
        }
    }
    [[nodiscard]] bool stopped() const { return stopped_; }
    /// True once per storm request.
    [[nodiscard]] bool take_storm() { return std::exchange(storm_, false); }

private:
    int fd_;
    bool stopped_ = false;
    bool storm_ = false;
};

class ConnWorker final : public ClientEvents {
public:
    ConnWorker(const CommonOptions& common, const ConnWorkerTask& task)
        : common_(common), task_(task), pacer_(task.count, task.rate, common.max_pending, task.start_ns) {}

    int run();

    void on_connected(Client& c, const ConnackView&) override {
        ++live_;
        if (reconnecting_) {
            reconnect_pending_ -= reconnect_pending_ > 0 ? 1 : 0;
            ++reconnects_;
            back_ns_ = loop_.now();
            if (storm_[c.index()] == StormState::out) {
                storm_[c.index()] = StormState::back;
                storm_tally_.on_back(back_ns_);
            }
            if (!task_.filter.empty()) {
                c.subscribe(topic_of(c), task_.sub_qos);
            }
            return;
        }
        pacer_.resolved();
        ++connected_;
        connect_ns_.record(loop_.now() - c.connect_started_ns());
        if (!task_.filter.empty()) {
            c.subscribe(topic_of(c), task_.sub_qos);
        }
    }
    void on_subscribed(Client&, const SubackView& ack) override {
        ++(ack.first_code >= 0x80 ? sub_failed_ : subscribed_);
    }
    void on_message(Client& c, const PublishView& msg, uint64_t) override {
        // Counted once per connection: the parent sends each connection at most one.
        auto stamp = read_stamp(msg.payload);
        if (!stamp || stamp->seq != task_.first_index + c.index() || msg.topic != topic_of(c)) {
            ++misdelivered_;
        } else if (got_[c.index()]++ == 0) {
            ++received_;
        } else {
            ++duplicates_;
        }
    }
    void on_acked(Client&, uint16_t, uint8_t) override {}
    void on_closed(Client& c, CloseReason why) override {
        if (c.was_accepted()) {
            --live_;
        }
        if (why == CloseReason::local) {
            return;
        }
        if (reconnecting_) {
            if (!c.was_accepted()) {
                // The broker is not back yet: try again later.
                reconnect_pending_ -= reconnect_pending_ > 0 ? 1 : 0;
                if (storm_[c.index()] == StormState::out) {
                    storm_tally_.on_failed_attempt();
                }
            } else {
                ++dropped_;
                if (storm_[c.index()] == StormState::back) {
                    storm_[c.index()] = StormState::out;
                    storm_tally_.on_lost_again();
                }
            }
            schedule_reconnect(c.index());
            return;
        }
        if (!c.was_accepted()) {
            pacer_.resolved();
            ++failed_;
        } else {
            ++dropped_;
        }
    }

private:
    void keepalive(uint64_t now);
    void storm();
    void schedule_reconnect(uint32_t i) {
        std::uniform_real_distribution<double> jitter(0.0, task_.reconnect_s);
        auto delay = static_cast<uint64_t>((task_.reconnect_s + jitter(random_)) * 1e9);
        reconnects_due_.push({loop_.now() + delay + 1000000ull, i});  // never due at once
    }
    // Starts the reconnections now due, at most max_pending awaiting their CONNACK.
    // A new Client each time: the closed one keeps its parser's and ids' state.
    template <typename Start>
    void pump_reconnects(uint64_t now, Start&& start_one) {
        while (!reconnects_due_.empty() && reconnects_due_.top().first <= now &&
               reconnect_pending_ < common_.max_pending) {
            uint32_t i = reconnects_due_.top().second;
            reconnects_due_.pop();
            clients_[i] = std::make_unique<Client>(loop_, *this, i, common_.version());
            ++reconnect_pending_;
            start_one(i);
        }
    }
    [[nodiscard]] std::string live_line() const {
        return "LIVE live=" + std::to_string(live_) + " drops=" + std::to_string(dropped_) +
               " reconnects=" + std::to_string(reconnects_) + " back_ns=" + std::to_string(back_ns_) +
               " at_ns=" + std::to_string(now_ns()) + "\n";
    }
    [[nodiscard]] std::string topic_of(const Client& c) const {
        return expand_pattern(task_.filter, task_.first_index + c.index());
    }
    [[nodiscard]] std::string counts() const {
        return "received=" + std::to_string(received_) + " duplicates=" + std::to_string(duplicates_) +
               " misdelivered=" + std::to_string(misdelivered_);
    }

    CommonOptions common_;
    ConnWorkerTask task_;
    Loop loop_;
    ConnectPacer pacer_;
    std::vector<std::unique_ptr<Client>> clients_;
    Histogram connect_ns_;
    uint64_t connected_ = 0;
    uint64_t failed_ = 0;
    uint64_t dropped_ = 0;
    uint64_t subscribed_ = 0;
    uint64_t sub_failed_ = 0;
    std::vector<uint8_t> got_;  // messages per connection
    uint64_t received_ = 0;
    uint64_t duplicates_ = 0;
    uint64_t misdelivered_ = 0;
    // Reconnection (task_.reconnect_s >= 0), once everyone is set up.
    bool reconnecting_ = false;
    uint64_t live_ = 0;
    uint64_t reconnects_ = 0;
    uint64_t back_ns_ = 0;
    uint32_t reconnect_pending_ = 0;
    using Due = std::pair<uint64_t, uint32_t>;  // (time, connection)
    std::priority_queue<Due, std::vector<Due>, std::greater<>> reconnects_due_;
    std::mt19937_64 random_{static_cast<uint64_t>(::getpid())};
    // The storm: which connections it reset, and whether each is back.
    enum class StormState : uint8_t { none, out, back };
    StormTally storm_tally_;
    std::vector<StormState> storm_;
    double storm_cpu0_s_ = 0;    // this process's CPU at the drop
    uint64_t storm_cpu_us_ = 0;  // since the drop, until all were back
};

// Every live connection loses its link at once (a reset, as a NAT or radio link
// lost shows to the broker) and reconnects as after any drop: --reconnect's
// delay, at most max_pending awaiting their CONNACK, full handshakes.
void ConnWorker::storm() {
    uint64_t dropped = 0;
    for (auto& c : clients_) {
        bool live = c->state() == Client::State::connected;
        storm_[c->index()] = live ? StormState::out : StormState::none;
        dropped += live ? 1 : 0;
    }
    storm_tally_.begin(dropped);
    storm_cpu0_s_ = self_cpu_seconds();
    storm_cpu_us_ = 0;
    for (auto& c : clients_) {
        if (storm_[c->index()] == StormState::out) {
            c->abort();
            ++dropped_;
            schedule_reconnect(c->index());
        }
    }
    write_line(task_.report_fd, storm_tally_.line(0));
}

void ConnWorker::keepalive(uint64_t now) {
    // PINGREQ at half the keepalive so the broker never sees 1.5 x keepalive of
    // silence (MQTT 3.1.1 §3.1.2.10).
    uint64_t idle = static_cast<uint64_t>(common_.keepalive_s) * second_ns / 2;
    for (auto& c : clients_) {
        if (c->state() == Client::State::connected && now - c->last_send_ns() > idle) {
            c->ping();
        }
    }
}

int ConnWorker::run() {
    std::vector<sockaddr_in> dests;
    for (uint16_t port : task_.ports.empty() ? std::vector<uint16_t>{common_.port} : task_.ports) {
        auto dest = make_address(common_.host, port);
        if (!dest) {
            return 2;
        }
        dests.push_back(*dest);
    }
    if (!loop_.ok()) {
        return 2;
    }
    fcntl(task_.control_fd, F_SETFL, O_NONBLOCK);
    StopSignal stop(task_.control_fd);
    if (!loop_.watch(task_.control_fd, &stop)) {
        return 2;
    }
    clients_.reserve(task_.count);
    got_.assign(task_.count, 0);
    storm_.assign(task_.count, StormState::none);
    for (uint64_t i = 0; i < task_.count; ++i) {
        clients_.push_back(std::make_unique<Client>(loop_, *this, static_cast<uint32_t>(i), common_.version()));
    }
    while (now_ns() < task_.start_ns) {
        loop_.run_once(1);
    }
    auto start_one = [&](uint64_t i) {
        uint64_t global = task_.first_index + i;
        sockaddr_in src = source_address(global, common_.sources);
        (void)clients_[i]->start(dests[global % dests.size()], common_.sources > 1 ? &src : nullptr,
                                 client_id(common_.client_prefix, global), common_.keepalive_s);
    };
    uint64_t deadline = task_.start_ns + static_cast<uint64_t>(common_.setup_timeout_s * 1e9);
    // With a filter a connection is set up once its SUBACK is in (or it was lost).
    auto settled = [&] {
        return failed_ + (task_.filter.empty() ? connected_ : subscribed_ + sub_failed_ + dropped_);
    };
    while (settled() < task_.count && now_ns() < deadline && !stop.stopped()) {
        pacer_.pump(now_ns(), start_one);
        loop_.run_once(1);
    }
    uint64_t done_ns = now_ns();
    write_line(task_.report_fd, "READY connected=" + std::to_string(connected_) + " failed=" +
                                    std::to_string(task_.count - connected_) + " subscribed=" +
                                    std::to_string(subscribed_) + " done_ns=" + std::to_string(done_ns) +
                                    " cpu_s=" + std::to_string(self_cpu_seconds()) + " hist=" +
                                    connect_ns_.serialize() + "\n");
    uint64_t next_keepalive = now_ns() + second_ns;
    uint64_t reported = 0;
    const bool reconnect = task_.reconnect_s >= 0;
    reconnecting_ = reconnect;
    uint64_t next_live = 0;
    bool storm_reported_back = false;
    while (!stop.stopped()) {
        loop_.run_once(reconnect ? 5 : 100);
        if (reconnect) {
            if (stop.take_storm()) {
                storm();
                storm_reported_back = false;
            }
            pump_reconnects(loop_.now(), start_one);
            // Every 50 ms, and at once when the storm's last connection is back.
            bool back_now = storm_tally_.all_back() && !storm_reported_back;
            if (loop_.now() >= next_live || back_now) {
                write_line(task_.report_fd, live_line());
                if (storm_tally_.active()) {
                    if (!storm_reported_back) {
                        storm_cpu_us_ = static_cast<uint64_t>((self_cpu_seconds() - storm_cpu0_s_) * 1e6);
                    }
                    write_line(task_.report_fd, storm_tally_.line(storm_cpu_us_));
                    storm_reported_back = storm_tally_.all_back();
                }
                next_live = loop_.now() + 50000000ull;
            }
        }
        if (uint64_t heard = received_ + duplicates_ + misdelivered_; heard != reported) {
            reported = heard;
            write_line(task_.report_fd, "RECV " + counts() + "\n");
        }
        if (loop_.now() >= next_keepalive) {
            keepalive(loop_.now());
            next_keepalive = loop_.now() + second_ns;
        }
    }
    for (auto& c : clients_) {
        c->disconnect();
    }
    uint64_t close_deadline = now_ns() + 2 * second_ns;
    auto open = [&] {
        for (auto& c : clients_) {
            if (c->state() != Client::State::closed) {
                return true;
            }
        }
        return false;
    };
    while (open() && now_ns() < close_deadline) {
        loop_.run_once(10);
    }
    write_line(task_.report_fd, "DONE dropped=" + std::to_string(dropped_) + " " + counts() + " cpu_s=" +
                                    std::to_string(self_cpu_seconds()) + "\n");
    return 0;
}

}  // namespace

int run_conn_worker(const CommonOptions& common, const ConnWorkerTask& task) {
    return ConnWorker(common, task).run();
}

}  // namespace mqttbench
