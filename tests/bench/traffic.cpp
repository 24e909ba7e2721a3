#include "tests/bench/traffic.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>

#include "tests/bench/latency_log.hpp"
#include "tests/bench/payload.hpp"
#include "tests/bench/result.hpp"

namespace mqttbench {

namespace {
constexpr uint64_t second_ns = 1000000000ull;

uint64_t seconds_ns(double s) {
    return static_cast<uint64_t>(s * 1e9);
}

// Set by SIGUSR1: a script whose measurement beside this run is over ends the
// publishing phase (the drain and the RESULT line follow).
volatile sig_atomic_t publishing_over = 0;

void end_publishing(int) { publishing_over = 1; }
}  // namespace

Traffic::Traffic(const CommonOptions& common, const TrafficOptions& opts, TrafficPlan plan)
    : common_(common), opts_(opts), plan_(std::move(plan)), cpu_(common.broker_pid) {
    qos_ = static_cast<uint8_t>(std::clamp(opts_.qos, 0, 2));
    sub_qos_ = static_cast<uint8_t>(opts_.sub_qos < 0 ? qos_ : std::clamp(opts_.sub_qos, 0, 2));
    for (uint32_t i = 0; i < plan_.clients.size(); ++i) {
        const ClientSpec& spec = plan_.clients[i];
        if (spec.publisher >= 0) {
            if (pubs_.size() <= static_cast<size_t>(spec.publisher)) {
                pubs_.resize(static_cast<size_t>(spec.publisher) + 1);
            }
            pubs_[static_cast<size_t>(spec.publisher)].client = i;
        }
        if (!spec.filters.empty()) {
            ++sub_clients_;
        }
    }
}

void Traffic::compute_fanout() {
    if (!plan_.fanout.empty()) {
        return;
    }
    plan_.fanout.assign(pubs_.size(), 0);
    for (size_t p = 0; p < pubs_.size(); ++p) {
        const std::string& topic = plan_.clients[pubs_[p].client].topic;
        for (const ClientSpec& spec : plan_.clients) {
            bool match = std::any_of(spec.filters.begin(), spec.filters.end(),
                                     [&](const std::string& f) { return topic_matches(f, topic); });
            plan_.fanout[p] += match ? 1 : 0;
        }
    }
}

void Traffic::on_connected(Client& c, const ConnackView&) {
    pacer_->resolved();
    ++connected_;
    connect_ns_.record(loop_.now() - c.connect_started_ns());
    for (const std::string& f : plan_.clients[c.index()].filters) {
        ++subacks_pending_;
        c.subscribe(f, sub_qos_);
    }
}

void Traffic::on_subscribed(Client&, const SubackView& ack) {
    --subacks_pending_;
    if (ack.first_code >= 0x80) {
        ++suback_failed_;
    }
}

void Traffic::on_message(Client& c, const PublishView& msg, uint64_t recv_ns) {
    auto stamp = read_stamp(msg.payload);
    if (!stamp || msg.retain) {
        ++foreign_;
        return;
    }
    ++received_;
    last_progress_ns_ = recv_ns;
    last_recv_ns_ = recv_ns;
    if (first_recv_ns_ == 0) {
        first_recv_ns_ = recv_ns;
    }
    const uint64_t latency = recv_ns > stamp->sent_ns ? recv_ns - stamp->sent_ns : 0;
    latency_ns_.record(latency);
    if (latency_log_) {
        std::fputs(latency_sample_line(stamp->sent_ns, latency).c_str(), latency_log_.get());
    }
    uint64_t key = (static_cast<uint64_t>(c.index()) << 32) | stamp->publisher;
    auto [it, fresh] = next_seq_.try_emplace(key, 0);
    uint32_t& next = it->second;
    if (stamp->seq < next) {
        ++duplicates_;
    } else {
        gaps_ += stamp->seq - next;
        next = stamp->seq + 1;
    }
}

void Traffic::on_acked(Client& c, uint16_t, uint8_t reason) {
    last_progress_ns_ = loop_.now();
    int32_t p = plan_.clients[c.index()].publisher;
    if (p < 0) {
        return;
    }
    PublisherState& ps = pubs_[static_cast<size_t>(p)];
    // v5 reason 0x10 "no matching subscribers" is still a success (MQTT 5 §3.4.2.1).
    if (reason >= 0x80) {
        ++ps.rejected;
    } else {
        ++ps.acked;
    }
}

void Traffic::on_closed(Client& c, CloseReason why) {
    if (why == CloseReason::local || closing_) {
        return;
    }
    if (!c.was_accepted()) {
        pacer_->resolved();
        ++connect_failed_;
        return;
    }
    ++dropped_;
    progress(common_.quiet, "client %u closed: %s", c.index(), close_reason_name(why));
}

uint32_t Traffic::window(const Client& c) const {
    uint32_t w = opts_.inflight;
    if (c.receive_maximum() > 0) {
        w = std::min<uint32_t>(w, c.receive_maximum());
    }
    return std::max<uint32_t>(w, 1);
}

bool Traffic::setup() {
    auto dest = make_address(common_.host, common_.port);
    if (!dest || !loop_.ok()) {
        progress(false, "bad address %s or no epoll", common_.host.c_str());
        return false;
    }
    compute_fanout();
    uint64_t t0 = now_ns();
    pacer_ = std::make_unique<ConnectPacer>(plan_.clients.size(), common_.connect_rate, common_.max_pending, t0);
    clients_.reserve(plan_.clients.size());
    for (uint32_t i = 0; i < plan_.clients.size(); ++i) {
        clients_.push_back(std::make_unique<Client>(loop_, *this, i, common_.version()));
    }
    uint64_t deadline = t0 + seconds_ns(common_.setup_timeout_s);
    uint32_t next_sub_port = 0;
    auto start_one = [&](uint64_t i) {
        sockaddr_in src = source_address(i, common_.sources);
        sockaddr_in to = *dest;
        const ClientSpec& spec = plan_.clients[i];
        if (!opts_.sub_ports.empty() && spec.publisher < 0 && !spec.filters.empty()) {
            to.sin_port = htons(opts_.sub_ports[next_sub_port++ % opts_.sub_ports.size()]);
        }
        bool ok = clients_[i]->start(to, common_.sources > 1 ? &src : nullptr,
                                     client_id(common_.client_prefix, i), common_.keepalive_s,
                                     !common_.persistent);
        (void)ok;  // a failed start reports through on_closed
    };
    while (connected_ + connect_failed_ < clients_.size() || subacks_pending_ > 0) {
        pacer_->pump(now_ns(), start_one);
        loop_.run_once(1);
        if (loop_.now() > deadline) {
            progress(false, "setup timed out: %llu of %zu connected, %llu subscriptions pending",
                     static_cast<unsigned long long>(connected_), clients_.size(),
                     static_cast<unsigned long long>(subacks_pending_));
            return false;
        }
    }
    progress(common_.quiet, "%s: %llu clients connected (%llu failed), subscriptions active",
             plan_.scenario.c_str(), static_cast<unsigned long long>(connected_),
             static_cast<unsigned long long>(connect_failed_));
    return connect_failed_ + suback_failed_ <= common_.max_errors;
}

void Traffic::publish_tick(uint64_t now) {
    const uint64_t limit = opts_.count;
    for (PublisherState& ps : pubs_) {
        Client& c = *clients_[ps.client];
        if (c.state() != Client::State::connected || (limit > 0 && ps.sent >= limit) || now < ps.start_ns) {
            continue;
        }
        uint64_t due = limit > 0 ? limit : UINT64_MAX;
        if (opts_.rate > 0) {
            double elapsed = static_cast<double>(now - ps.start_ns) / 1e9;
            due = std::min<uint64_t>(due, static_cast<uint64_t>(elapsed * opts_.rate) + 1);
        }
        const uint32_t win = window(c);
        const std::string& topic = plan_.clients[ps.client].topic;
        auto p = static_cast<uint32_t>(&ps - pubs_.data());
        while (ps.sent < due) {
            if (qos_ > 0 ? c.inflight() >= win : c.pending_bytes() >= opts_.max_queued_bytes) {
                break;
            }
            c.publish(topic, qos_, false, opts_.payload, p, static_cast<uint32_t>(ps.sent));
            ++ps.sent;
        }
    }
}

bool Traffic::publishing_done(uint64_t now) const {
    if (pubs_.empty()) {
        // Subscribe-only: bounded by time, by count, or by silence after traffic.
        bool silent = first_recv_ns_ != 0 && now - last_recv_ns_ > seconds_ns(opts_.drain_s);
        return now >= pub_start_ns_ + seconds_ns(opts_.duration_s) ||
               (opts_.count > 0 && received_ >= opts_.count) || silent;
    }
    if (now >= pub_start_ns_ + seconds_ns(opts_.duration_s) || publishing_over != 0) {
        return true;
    }
    if (opts_.count == 0) {
        return false;
    }
    return std::all_of(pubs_.begin(), pubs_.end(), [&](const PublisherState& ps) {
        return ps.sent >= opts_.count || clients_[ps.client]->state() == Client::State::closed;
    });
}

uint64_t Traffic::expected() const {
    uint64_t e = 0;
    for (size_t p = 0; p < pubs_.size(); ++p) {
        // QoS 0 promises nothing, so what counts is what was written; at QoS 1/2 what
        // the broker acknowledged (MQTT 3.1.1 §4.3).
        uint64_t base = qos_ == 0 ? pubs_[p].sent : pubs_[p].acked;
        e += base * plan_.fanout[p];
    }
    return e;
}

bool Traffic::drained() const {
    for (const PublisherState& ps : pubs_) {
        const Client& c = *clients_[ps.client];
        if (c.state() == Client::State::connected && (c.inflight() > 0 || c.pending_bytes() > 0)) {
            return false;
        }
    }
    return received_ - duplicates_ >= expected();
}

void Traffic::report_progress(uint64_t now) {
    if (now < next_report_ns_) {
        return;
    }
    uint64_t sent = 0;
    for (const PublisherState& ps : pubs_) {
        sent += ps.sent;
    }
    double dt = static_cast<double>(now - (next_report_ns_ - second_ns)) / 1e9;
    progress(common_.quiet, "%s: sent %llu (%.0f/s) received %llu (%.0f/s) p99 %.0f us",
             plan_.scenario.c_str(), static_cast<unsigned long long>(sent),
             static_cast<double>(sent - report_sent_) / dt, static_cast<unsigned long long>(received_),
             static_cast<double>(received_ - report_received_) / dt,
             static_cast<double>(latency_ns_.percentile(0.99)) / 1000.0);
    report_sent_ = sent;
    report_received_ = received_;
    next_report_ns_ = now + second_ns;
}

void Traffic::close_all() {
    closing_ = true;
    for (auto& c : clients_) {
        c->disconnect();
    }
    uint64_t deadline = now_ns() + second_ns;
    auto open = [&] {
        return std::any_of(clients_.begin(), clients_.end(),
                           [](const auto& c) { return c->state() != Client::State::closed; });
    };
    while (open() && now_ns() < deadline) {
        loop_.run_once(10);
    }
    for (auto& c : clients_) {
        c->close(CloseReason::local);
    }
}

int Traffic::run() {
    struct sigaction sa {};
    sa.sa_handler = end_publishing;
    sigaction(SIGUSR1, &sa, nullptr);
    if (!opts_.latency_log.empty()) {
        latency_log_.reset(std::fopen(opts_.latency_log.c_str(), "w"));
        if (!latency_log_) {
            progress(false, "cannot write %s", opts_.latency_log.c_str());
            return 2;
        }
        std::setvbuf(latency_log_.get(), nullptr, _IOFBF, 1 << 20);
    }
    if (!setup()) {
        close_all();
        ResultLine(plan_.scenario).add("error", std::string_view("setup_failed"))
            .add("connected", connected_).add("connect_failed", connect_failed_).print();
        return 1;
    }
    for (uint64_t until = now_ns() + seconds_ns(opts_.settle_s); now_ns() < until;) {
        loop_.run_once(1);  // keep the connections served while routes settle
    }
    pub_start_ns_ = now_ns();
    next_report_ns_ = pub_start_ns_ + second_ns;
    const double period_ns = opts_.rate > 0 ? 1e9 / opts_.rate : 0;
    for (size_t p = 0; p < pubs_.size(); ++p) {
        // Spread paced publishers evenly over one period so they do not fire in bursts.
        pubs_[p].start_ns = pub_start_ns_ + static_cast<uint64_t>(period_ns * static_cast<double>(p) /
                                                                  static_cast<double>(pubs_.size()));
    }
    cpu_.start();
    last_progress_ns_ = pub_start_ns_;
    while (true) {
        uint64_t now = now_ns();
        if (publishing_done(now)) {
            break;
        }
        publish_tick(now);
        loop_.run_once(1);
        report_progress(loop_.now());
    }
    pub_end_ns_ = now_ns();
    // Drain: wait for outstanding acks and deliveries until nothing moves for drain_s.
    last_progress_ns_ = std::max(last_progress_ns_, pub_end_ns_);
    // A broker that queued far more than it can deliver (QoS 0 at full speed) would
    // keep this going for minutes; what is still queued after one more publishing
    // period (or drain_s, if longer) counts as lost.
    const uint64_t drain_end = pub_end_ns_ + seconds_ns(std::max(opts_.drain_s, opts_.duration_s));
    while (!pubs_.empty() && !drained() && now_ns() - last_progress_ns_ < seconds_ns(opts_.drain_s) &&
           now_ns() < drain_end) {
        loop_.run_once(5);
        report_progress(loop_.now());
    }
    cpu_.stop();
    return finish();
}

int Traffic::finish() {
    uint64_t sent = 0;
    uint64_t acked = 0;
    uint64_t rejected = 0;
    for (const PublisherState& ps : pubs_) {
        sent += ps.sent;
        acked += ps.acked;
        rejected += ps.rejected;
    }
    // Capture before closing: a disconnect loses nothing that was counted.
    uint64_t exp = expected();
    close_all();
    latency_log_.reset();  // flushed before the RESULT line tells a script it is complete

    double pub_s = static_cast<double>(pub_end_ns_ - pub_start_ns_) / 1e9;
    uint64_t recv_end = last_recv_ns_ != 0 ? last_recv_ns_ : pub_end_ns_;
    double recv_s = static_cast<double>(recv_end - pub_start_ns_) / 1e9;
    uint64_t unique = received_ - duplicates_;

    ResultLine r(plan_.scenario);
    r.add("protocol", common_.protocol).add("qos", static_cast<int>(qos_)).add("payload", static_cast<uint64_t>(opts_.payload));
    r.add("publishers", static_cast<uint64_t>(pubs_.size())).add("subscribers", static_cast<uint64_t>(sub_clients_));
    r.add("rate", opts_.rate).add("duration_s", pub_s);
    r.add("sent", sent);
    if (qos_ > 0) {
        r.add("acked", acked).add("rejected", rejected);
    }
    r.add("sent_per_s", pub_s > 0 ? static_cast<double>(sent) / pub_s : 0.0);
    r.add("received", received_).add("duplicates", duplicates_).add("gaps", gaps_);
    if (!pubs_.empty() && sub_clients_ > 0) {
        r.add("expected", exp).add("lost", exp > unique ? exp - unique : uint64_t{0});
        r.add("lost_pct", exp > 0 && exp > unique ? 100.0 * static_cast<double>(exp - unique) / static_cast<double>(exp) : 0.0);
    }
    r.add("msgs_per_s", recv_s > 0 ? static_cast<double>(received_) / recv_s : 0.0);
    r.add_latency("", latency_ns_);
    r.add_cpu(cpu_);
    r.add("connect_failed", connect_failed_).add("dropped", dropped_);
    if (foreign_ > 0) {
        r.add("foreign", foreign_);
    }
    r.print();
    return connect_failed_ + suback_failed_ + dropped_ > common_.max_errors ? 1 : 0;
}

}  // namespace mqttbench
