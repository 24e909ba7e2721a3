// retained: store N retained messages under a fresh prefix, then time one wildcard
// subscriber receiving them all; finally delete them (empty retained publishes).

#include <memory>

#include "tests/bench/client.hpp"
#include "tests/bench/connector.hpp"
#include "tests/bench/result.hpp"
#include "tests/bench/scenarios.hpp"
#include "tests/bench/sysstat.hpp"

namespace mqttbench {

namespace {

constexpr uint64_t second_ns = 1000000000ull;

class RetainedRun final : public ClientEvents {
public:
    RetainedRun(const CommonOptions& common, const RetainedOptions& opts)
        : common_(common), opts_(opts), qos_(static_cast<uint8_t>(opts.qos < 0 ? 0 : opts.qos > 2 ? 2 : opts.qos)),
          cpu_(common.broker_pid) {
        base_ = opts_.prefix + "/" + std::to_string(getpid()) + "-" + std::to_string(now_ns() % 1000000007ull);
    }

    int run();

    void on_connected(Client& c, const ConnackView&) override {
        if (&c == sub_.get()) {
            sub_start_ns_ = now_ns();
            c.subscribe(base_ + "/#", 0);
        }
    }
    void on_subscribed(Client&, const SubackView& ack) override { suback_failed_ = ack.first_code >= 0x80; }
    void on_message(Client&, const PublishView& msg, uint64_t recv_ns) override {
        if (!msg.retain) {
            return;
        }
        if (received_ == 0) {
            first_ns_ = recv_ns;
        }
        ++received_;
        last_ns_ = recv_ns;
    }
    void on_acked(Client&, uint16_t, uint8_t reason) override {
        ++acked_;
        rejected_ += reason >= 0x80 ? 1 : 0;
    }
    void on_pingresp(Client&) override { ++pingresps_; }
    void on_closed(Client& c, CloseReason why) override {
        if (why != CloseReason::local) {
            progress(false, "retained: %s client closed: %s", &c == sub_.get() ? "subscriber" : "publisher",
                     close_reason_name(why));
            failed_ = true;
        }
    }

private:
    template <typename Done>
    [[nodiscard]] bool spin(Done&& done, uint64_t deadline) {
        while (!done()) {
            if (failed_ || now_ns() > deadline) {
                return false;
            }
            loop_.run_once(1);
        }
        return true;
    }
    [[nodiscard]] bool connect(std::unique_ptr<Client>& c, uint32_t index, uint64_t deadline);
    /// Publishes count messages (empty ones when erase) within the in-flight window and
    /// waits until the broker has them all: acks at QoS 1/2, a PINGRESP at QoS 0.
    [[nodiscard]] bool store(bool erase, uint64_t deadline);

    CommonOptions common_;
    RetainedOptions opts_;
    uint8_t qos_;
    std::string base_;
    Loop loop_;
    sockaddr_in dest_{};
    std::unique_ptr<Client> pub_;
    std::unique_ptr<Client> sub_;
    CpuWindow cpu_;
    uint64_t acked_ = 0;
    uint64_t rejected_ = 0;
    uint64_t pingresps_ = 0;
    uint64_t received_ = 0;
    uint64_t sub_start_ns_ = 0;
    uint64_t first_ns_ = 0;
    uint64_t last_ns_ = 0;
    bool suback_failed_ = false;
    bool failed_ = false;
};

bool RetainedRun::connect(std::unique_ptr<Client>& c, uint32_t index, uint64_t deadline) {
    c = std::make_unique<Client>(loop_, *this, index, common_.version());
    if (!c->start(dest_, nullptr, client_id(common_.client_prefix, index), common_.keepalive_s)) {
        return false;
    }
    return spin([&] { return c->state() == Client::State::connected; }, deadline);
}

bool RetainedRun::store(bool erase, uint64_t deadline) {
    acked_ = 0;
    uint64_t sent = 0;
    uint64_t pings_before = pingresps_;
    std::string topic;
    while (sent < opts_.messages) {
        if (failed_ || now_ns() > deadline) {
            return false;
        }
        while (sent < opts_.messages &&
               (qos_ > 0 ? pub_->inflight() < opts_.inflight : pub_->pending_bytes() < 256 * 1024)) {
            topic = base_ + "/" + std::to_string(sent);
            if (erase) {
                pub_->publish_empty_retained(topic, qos_);
            } else {
                pub_->publish(topic, qos_, true, opts_.payload, 0, static_cast<uint32_t>(sent));
            }
            ++sent;
        }
        loop_.run_once(1);
    }
    if (qos_ > 0) {
        return spin([&] { return acked_ >= opts_.messages; }, deadline);
    }
    // The broker handles a connection's packets in order, so PINGRESP follows the
    // last PUBLISH being processed.
    pub_->ping();
    return spin([&] { return pingresps_ > pings_before; }, deadline);
}

int RetainedRun::run() {
    auto dest = make_address(common_.host, common_.port);
    if (!dest || !loop_.ok() || opts_.payload < 16) {
        progress(false, "retained: bad address or payload below 16 bytes");
        return 2;
    }
    dest_ = *dest;
    const uint64_t deadline = now_ns() + static_cast<uint64_t>(opts_.timeout_s * 1e9);
    ResultLine r("retained");
    r.add("protocol", common_.protocol).add("qos", static_cast<int>(qos_)).add("messages", opts_.messages)
        .add("payload", static_cast<uint64_t>(opts_.payload));

    uint64_t rss_before = common_.broker_pid > 0 ? proc_rss_kb(common_.broker_pid).value_or(0) : 0;
    uint64_t t_store = now_ns();
    bool ok = connect(pub_, 0, deadline) && store(false, deadline);
    double store_s = static_cast<double>(now_ns() - t_store) / 1e9;
    uint64_t rss_after = common_.broker_pid > 0 ? proc_rss_kb(common_.broker_pid).value_or(0) : 0;
    r.add("store_s", store_s).add("store_per_s", store_s > 0 ? static_cast<double>(opts_.messages) / store_s : 0.0);
    if (common_.broker_pid > 0) {
        double per = rss_after > rss_before ? 1024.0 * static_cast<double>(rss_after - rss_before) /
                                                  static_cast<double>(opts_.messages)
                                            : 0.0;
        r.add("broker_bytes_per_retained", per);
    }

    if (ok) {
        cpu_.start();
        ok = connect(sub_, 1, deadline) &&
             spin([&] { return received_ >= opts_.messages; }, deadline);
        // Messages still arriving after a timeout are not counted.
        cpu_.stop();
    }
    double recv_s = last_ns_ > sub_start_ns_ ? static_cast<double>(last_ns_ - sub_start_ns_) / 1e9 : 0.0;
    r.add("received", received_).add("lost", opts_.messages > received_ ? opts_.messages - received_ : 0);
    r.add("time_s", recv_s);
    r.add("first_ms", first_ns_ > sub_start_ns_ ? static_cast<double>(first_ns_ - sub_start_ns_) / 1e6 : 0.0);
    r.add("msgs_per_s", recv_s > 0 ? static_cast<double>(received_) / recv_s : 0.0);
    r.add_cpu(cpu_);

    bool cleaned = opts_.keep;
    if (ok && !opts_.keep && sub_) {
        sub_->disconnect();
        cleaned = store(true, now_ns() + static_cast<uint64_t>(opts_.timeout_s * 1e9));
    }
    r.add("cleaned", static_cast<int>(cleaned));
    r.add("rejected", rejected_);
    for (auto* c : {pub_.get(), sub_.get()}) {
        if (c != nullptr) {
            c->disconnect();
        }
    }
    (void)spin([&] {
        return (!pub_ || pub_->state() == Client::State::closed) && (!sub_ || sub_->state() == Client::State::closed);
    }, now_ns() + second_ns);
    if (!ok) {
        r.add("error", std::string_view(failed_ ? "client_closed" : "timeout"));
    }
    r.print();
    return ok && !suback_failed_ && received_ == opts_.messages ? 0 : 1;
}

}  // namespace

int run_retained(const CommonOptions& common, const RetainedOptions& opts) {
    return RetainedRun(common, opts).run();
}

}  // namespace mqttbench
