// conn: N idle connections spread over worker processes (each under the per-process
// open-file cap) and source addresses; connect rate, time to all connected, failures,
// and the broker's resident memory per connection. Optionally each connection
// subscribes to its own topic and, after the hold, one more client publishes to a
// random set of them: delivered against expected.

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/conn_publish.hpp"
#include "tests/bench/conn_worker.hpp"
#include "tests/bench/connector.hpp"
#include "tests/bench/histogram.hpp"
#include "tests/bench/result.hpp"
#include "tests/bench/scenarios.hpp"
#include "tests/bench/storm.hpp"
#include "tests/bench/sysstat.hpp"

namespace mqttbench {

namespace {

// Set by SIGUSR1: a script that did its measurements while the connections were
// held ends the hold.
volatile sig_atomic_t hold_over = 0;

void end_hold(int) { hold_over = 1; }

struct Worker {
    pid_t pid = -1;
    int control_fd = -1;  // write end
    int report_fd = -1;   // read end
    std::string buffer;
    bool ready = false;
    bool done = false;
    uint64_t connected = 0;
    uint64_t failed = 0;
    uint64_t done_ns = 0;
    double ready_cpu_s = 0;
    double done_cpu_s = 0;
    uint64_t dropped = 0;
    uint64_t subscribed = 0;
    uint64_t received = 0;
    uint64_t duplicates = 0;
    uint64_t misdelivered = 0;
    // LIVE lines (reconnect mode).
    uint64_t live = 0;
    uint64_t drops = 0;
    uint64_t reconnects = 0;
    uint64_t back_ns = 0;
    uint64_t at_ns = 0;
    std::optional<StormReport> storm;  // the latest STORM line
};

// Value of "key=" in a space-separated line, or empty.
std::string_view field(std::string_view line, std::string_view key) {
    size_t at = 0;
    while ((at = line.find(key, at)) != std::string_view::npos) {
        bool word = at > 0 && line[at - 1] == ' ' && at + key.size() < line.size() && line[at + key.size()] == '=';
        if (word) {
            break;
        }
        at += key.size();
    }
    if (at == std::string_view::npos) {
        return {};
    }
    size_t start = at + key.size() + 1;
    size_t end = line.find(' ', start);
    return line.substr(start, end == std::string_view::npos ? line.size() - start : end - start);
}

uint64_t as_u64(std::string_view s) {
    uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

double as_double(std::string_view s) {
    return std::strtod(std::string(s).c_str(), nullptr);
}

void on_counts(Worker& w, std::string_view line) {
    w.received = as_u64(field(line, "received"));
    w.duplicates = as_u64(field(line, "duplicates"));
    w.misdelivered = as_u64(field(line, "misdelivered"));
}

void on_line(Worker& w, std::string_view line, Histogram& hist) {
    if (line.rfind("READY", 0) == 0) {
        w.subscribed = as_u64(field(line, "subscribed"));
        w.ready = true;
        w.connected = as_u64(field(line, "connected"));
        w.failed = as_u64(field(line, "failed"));
        w.done_ns = as_u64(field(line, "done_ns"));
        w.ready_cpu_s = as_double(field(line, "cpu_s"));
        (void)hist.merge_serialized(field(line, "hist"));
    } else if (line.rfind("DONE", 0) == 0) {
        w.done = true;
        w.dropped = as_u64(field(line, "dropped"));
        w.done_cpu_s = as_double(field(line, "cpu_s"));
        on_counts(w, line);
    } else if (line.rfind("RECV", 0) == 0) {
        on_counts(w, line);
    } else if (line.rfind("LIVE", 0) == 0) {
        w.live = as_u64(field(line, "live"));
        w.drops = as_u64(field(line, "drops"));
        w.reconnects = as_u64(field(line, "reconnects"));
        w.back_ns = as_u64(field(line, "back_ns"));
        w.at_ns = as_u64(field(line, "at_ns"));
    } else if (line.rfind("STORM", 0) == 0) {
        if (auto r = StormReport::parse(line)) {
            w.storm = r;
        }
    }
}

// Reads the reports that arrive within timeout_ms.
void read_reports(std::vector<Worker>& workers, Histogram& hist, int timeout_ms) {
    std::vector<pollfd> fds;
    for (Worker& w : workers) {
        fds.push_back({w.report_fd, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), timeout_ms) <= 0) {
        return;
    }
    for (size_t i = 0; i < workers.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) {
            continue;
        }
        char buf[65536];
        ssize_t n = ::read(workers[i].report_fd, buf, sizeof buf);
        if (n <= 0) {
            // The worker exited: treat it as done so the run still ends.
            workers[i].ready = workers[i].done = true;
            continue;
        }
        workers[i].buffer.append(buf, static_cast<size_t>(n));
        size_t nl;
        while ((nl = workers[i].buffer.find('\n')) != std::string::npos) {
            on_line(workers[i], std::string_view(workers[i].buffer).substr(0, nl), hist);
            workers[i].buffer.erase(0, nl + 1);
        }
    }
}

// Reads worker reports until pred holds for every worker or the deadline passes.
template <typename Pred>
bool collect(std::vector<Worker>& workers, Histogram& hist, uint64_t deadline, Pred&& pred) {
    while (!std::all_of(workers.begin(), workers.end(), pred)) {
        if (now_ns() > deadline) {
            return false;
        }
        read_reports(workers, hist, 100);
    }
    return true;
}

bool spawn(const CommonOptions& common, ConnWorkerTask task, Worker& w) {
    int control[2];
    int report[2];
    if (pipe2(control, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
        return false;
    }
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
        return false;
    }
    if (pid == 0) {
        ::close(control[1]);
        ::close(report[0]);
        task.control_fd = control[0];
        task.report_fd = report[1];
        _exit(run_conn_worker(common, task));
    }
    ::close(control[0]);
    ::close(report[1]);
    w.pid = pid;
    w.control_fd = control[1];
    w.report_fd = report[0];
    return true;
}

// The pattern with %r taken now, in the parent, so that the workers' topics and
// the publisher's agree.
std::string with_run_id(std::string_view pattern) {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 'r') {
            out += std::to_string(getpid());
            ++i;
        } else {
            out += pattern[i];
        }
    }
    return out;
}

struct Delivery {
    PublishOutcome publish;
    uint64_t expected = 0;
    uint64_t received = 0;
    uint64_t duplicates = 0;
    uint64_t misdelivered = 0;
    double deliver_s = 0;  // first publish until the last delivery the workers reported
};

// Publishes to opts.publish random connections' topics and waits until the workers
// have them all, or none came for opts.drain_s.
Delivery check_delivery(const CommonOptions& common, const ConnOptions& opts, const std::string& pattern,
                        std::vector<Worker>& workers, Histogram& hist) {
    Delivery d;
    auto dest = make_address(common.host, opts.pub_port != 0 ? opts.pub_port : common.port);
    if (!dest) {
        return d;
    }
    uint64_t seed = opts.seed != 0 ? opts.seed : now_ns();
    std::vector<uint64_t> targets = pick_distinct(opts.connections, opts.publish, seed);
    d.expected = targets.size();
    uint64_t start = now_ns();
    uint64_t bound = start + static_cast<uint64_t>((common.setup_timeout_s + opts.drain_s) * 1e9);
    d.publish = publish_to_targets(common, *dest, pattern, targets, 100, bound);
    auto sum = [&] {
        uint64_t heard = 0;
        d.received = d.duplicates = d.misdelivered = 0;
        for (const Worker& w : workers) {
            d.received += w.received;
            d.duplicates += w.duplicates;
            d.misdelivered += w.misdelivered;
        }
        heard = d.received + d.duplicates + d.misdelivered;
        return heard;
    };
    uint64_t heard = sum();
    uint64_t last_progress = now_ns();
    uint64_t last_delivery = heard > 0 ? now_ns() : start;
    const auto drain_ns = static_cast<uint64_t>(opts.drain_s * 1e9);
    while (d.received < d.expected && now_ns() - last_progress < drain_ns && now_ns() < bound) {
        read_reports(workers, hist, 50);
        if (uint64_t now_heard = sum(); now_heard != heard) {
            heard = now_heard;
            last_progress = last_delivery = now_ns();
        }
    }
    // Late duplicates or strays show up in the DONE lines.
    d.deliver_s = static_cast<double>(last_delivery - start) / 1e9;
    progress(common.quiet, "conn: published %llu (acked %llu), delivered %llu/%llu in %.2f s",
             static_cast<unsigned long long>(d.publish.sent), static_cast<unsigned long long>(d.publish.acked),
             static_cast<unsigned long long>(d.received), static_cast<unsigned long long>(d.expected), d.deliver_s);
    return d;
}

struct Disruption {
    int status = -1;        // the command's exit status
    double cmd_s = 0;       // its run time
    uint64_t drops = 0;     // connections the broker closed meanwhile
    uint64_t reconnects = 0;
    double back_s = 0;      // command start until the last connection was back
    bool all_back = false;  // within the setup timeout after the command
    uint64_t start_ns = 0;  // CLOCK_MONOTONIC, for a stream measured alongside
    uint64_t back_ns = 0;
};

// Runs `command` through /bin/sh and waits until it has exited and every
// worker, in a report made at least 200 ms later, has all its connections up.
Disruption disrupt(const CommonOptions& common, const std::string& command, uint64_t connected,
                   std::vector<Worker>& workers, Histogram& hist) {
    Disruption d;
    uint64_t drops_before = 0;
    uint64_t reconnects_before = 0;
    for (const Worker& w : workers) {
        drops_before += w.drops;
        reconnects_before += w.reconnects;
    }
    std::fflush(nullptr);
    const uint64_t start = now_ns();
    d.start_ns = start;
    pid_t pid = fork();
    if (pid == 0) {
        ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    if (pid < 0) {
        return d;
    }
    uint64_t exited_ns = 0;
    uint64_t deadline = UINT64_MAX;
    for (;;) {
        read_reports(workers, hist, 20);
        int status = 0;
        if (exited_ns == 0 && waitpid(pid, &status, WNOHANG) == pid) {
            exited_ns = now_ns();
            d.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            d.cmd_s = static_cast<double>(exited_ns - start) / 1e9;
            deadline = exited_ns + static_cast<uint64_t>(common.setup_timeout_s * 1e9);
        }
        uint64_t live = 0;
        bool fresh = exited_ns != 0;
        d.drops = d.reconnects = 0;
        uint64_t last_back = 0;
        for (const Worker& w : workers) {
            live += w.live;
            d.drops += w.drops;
            d.reconnects += w.reconnects;
            last_back = std::max(last_back, w.back_ns);
            fresh = fresh && w.at_ns >= exited_ns + 200000000ull;
        }
        d.drops -= drops_before;
        d.reconnects -= reconnects_before;
        if (fresh && live >= connected) {
            d.all_back = true;
            d.back_s = d.reconnects > 0 && last_back > start ? static_cast<double>(last_back - start) / 1e9 : d.cmd_s;
            d.back_ns = start + static_cast<uint64_t>(d.back_s * 1e9);
            break;
        }
        if (now_ns() > deadline) {
            d.back_s = static_cast<double>(now_ns() - start) / 1e9;
            break;
        }
    }
    progress(common.quiet, "conn: disruption: command exit %d after %.2f s; %llu dropped, %llu reconnected, "
             "all back after %.2f s%s", d.status, d.cmd_s, static_cast<unsigned long long>(d.drops),
             static_cast<unsigned long long>(d.reconnects), d.back_s, d.all_back ? "" : " (NOT all back)");
    return d;
}

struct StormOutcome {
    StormReport sum;        // over the workers
    bool all_back = false;  // within the setup timeout
    uint64_t start_ns = 0;  // the drop, CLOCK_MONOTONIC
    uint64_t back_ns = 0;   // the last CONNACK back; the give-up time if not all back
    double back_s = 0;
    CpuWindow cpu;          // broker and machine over the storm

    explicit StormOutcome(pid_t broker) : cpu(broker) {}
};

// Waits `after_s` (the quiet window), resets every connection in every worker at
// once, and waits until all of them are back or the setup timeout has passed.
StormOutcome storm(const CommonOptions& common, double after_s, std::vector<Worker>& workers, Histogram& hist) {
    StormOutcome s(common.broker_pid);
    for (uint64_t quiet_end = now_ns() + static_cast<uint64_t>(after_s * 1e9); now_ns() < quiet_end;) {
        read_reports(workers, hist, 20);
    }
    s.start_ns = now_ns();
    s.cpu.start();
    for (Worker& w : workers) {
        w.storm.reset();
        (void)!::write(w.control_fd, "S", 1);
    }
    const uint64_t deadline = s.start_ns + static_cast<uint64_t>(common.setup_timeout_s * 1e9);
    uint64_t next_progress = s.start_ns + 1000000000ull;
    for (;;) {
        read_reports(workers, hist, 20);
        bool heard_all = true;
        s.sum = StormReport{};
        for (const Worker& w : workers) {
            heard_all = heard_all && w.storm.has_value();
            if (w.storm) {
                s.sum.merge(*w.storm);
            }
        }
        if (heard_all && s.sum.all_back) {
            s.all_back = true;
            s.back_ns = s.sum.back_ns;
            break;
        }
        uint64_t now = now_ns();
        if (now > deadline) {
            s.back_ns = now;
            break;
        }
        if (now >= next_progress) {
            progress(common.quiet, "conn: storm: %llu/%llu back, %llu failed attempts",
                     static_cast<unsigned long long>(s.sum.back), static_cast<unsigned long long>(s.sum.dropped),
                     static_cast<unsigned long long>(s.sum.failures));
            next_progress = now + 1000000000ull;
        }
    }
    s.cpu.stop();
    s.back_s = s.back_ns > s.start_ns ? static_cast<double>(s.back_ns - s.start_ns) / 1e9 : 0.0;
    progress(common.quiet, "conn: storm: %llu dropped, %llu back after %.2f s%s, %llu failed attempts",
             static_cast<unsigned long long>(s.sum.dropped), static_cast<unsigned long long>(s.sum.back), s.back_s,
             s.all_back ? "" : " (NOT all back)", static_cast<unsigned long long>(s.sum.failures));
    return s;
}

}  // namespace

int run_conn(const CommonOptions& common, const ConnOptions& opts) {
    const uint64_t n = opts.connections;
    const uint64_t per = std::max<uint64_t>(1, opts.per_worker);
    uint64_t nworkers = std::max<uint64_t>(1, (n + per - 1) / per);
    if (opts.workers > 0) {
        nworkers = std::max<uint64_t>(nworkers, opts.workers);
    } else {
        // Connection setup is CPU-bound in the kernel on both sides; use every core.
        nworkers = std::max<uint64_t>(nworkers, std::thread::hardware_concurrency());
    }
    nworkers = std::min<uint64_t>(nworkers, std::max<uint64_t>(1, n));
    struct sigaction sa {};
    sa.sa_handler = end_hold;
    sigaction(SIGUSR1, &sa, nullptr);
    const std::string pattern = with_run_id(opts.filter);
    CommonOptions worker_common = common;
    worker_common.max_pending = std::max<uint32_t>(1, common.max_pending / static_cast<uint32_t>(nworkers));
    const pid_t broker = common.broker_pid;
    uint64_t rss_before = broker > 0 ? proc_rss_kb(broker).value_or(0) : 0;

    std::vector<Worker> workers(nworkers);
    // A common start slightly ahead so every worker is forked and ready to go.
    uint64_t start_ns = now_ns() + 200000000ull;
    CpuWindow cpu(broker);
    for (uint64_t i = 0; i < nworkers; ++i) {
        ConnWorkerTask task;
        task.first_index = i * n / nworkers;
        task.count = (i + 1) * n / nworkers - task.first_index;
        task.rate = common.connect_rate / static_cast<double>(nworkers);
        task.start_ns = start_ns;
        task.ports = opts.ports;
        task.filter = pattern;
        task.sub_qos = static_cast<uint8_t>(opts.sub_qos);
        task.reconnect_s = opts.reconnect_s;
        if (!spawn(worker_common, task, workers[i])) {
            std::perror("fork");
            return 2;
        }
    }
    while (now_ns() < start_ns) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    cpu.start();
    Histogram connect_ns;
    uint64_t setup_deadline = start_ns + static_cast<uint64_t>((common.setup_timeout_s + 5) * 1e9);
    bool all_ready = collect(workers, connect_ns, setup_deadline, [](const Worker& w) { return w.ready; });
    uint64_t last_done = start_ns;
    uint64_t connected = 0;
    uint64_t failed = 0;
    uint64_t subscribed = 0;
    double worker_cpu = 0;
    for (const Worker& w : workers) {
        last_done = std::max(last_done, w.done_ns);
        connected += w.connected;
        subscribed += w.subscribed;
        failed += w.failed;
        worker_cpu += w.ready_cpu_s;
    }
    cpu.add_self_cpu(worker_cpu);
    cpu.stop();
    double connect_s = static_cast<double>(last_done - start_ns) / 1e9;
    progress(common.quiet, "conn: %llu connected, %llu failed in %.2f s; holding %.1f s",
             static_cast<unsigned long long>(connected), static_cast<unsigned long long>(failed), connect_s,
             opts.hold_s);

    Disruption disruption;
    if (!opts.disrupt.empty()) {
        disruption = disrupt(common, opts.disrupt, connected, workers, connect_ns);
    }
    const bool storming = opts.storm_after_s >= 0;
    std::optional<StormOutcome> storm_outcome;
    if (storming) {
        storm_outcome = storm(common, opts.storm_after_s, workers, connect_ns);
    }
    // Let the broker settle its per-connection allocations before reading memory.
    uint64_t hold_end = now_ns() + static_cast<uint64_t>(opts.hold_s * 1e9);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(1000, static_cast<int64_t>(opts.hold_s * 500))));
    uint64_t rss_connected = broker > 0 ? proc_rss_kb(broker).value_or(0) : 0;
    while (now_ns() < hold_end && hold_over == 0) {
        read_reports(workers, connect_ns, 50);  // LIVE lines must not fill the pipes
    }
    uint64_t rss_hold = broker > 0 ? proc_rss_kb(broker).value_or(0) : 0;
    const bool publishing = opts.publish > 0 && !pattern.empty();
    Delivery delivery;
    if (publishing) {
        delivery = check_delivery(common, opts, pattern, workers, connect_ns);
    }
    for (Worker& w : workers) {
        char stop = 'x';
        (void)!::write(w.control_fd, &stop, 1);
    }
    collect(workers, connect_ns, now_ns() + 10000000000ull, [](const Worker& w) { return w.done; });
    uint64_t dropped = 0;
    uint64_t duplicates = 0;
    uint64_t misdelivered = 0;
    int worst = 0;
    for (Worker& w : workers) {
        dropped += w.dropped;
        duplicates += w.duplicates;
        misdelivered += w.misdelivered;
        ::close(w.control_fd);
        ::close(w.report_fd);
        int status = 0;
        waitpid(w.pid, &status, 0);
        worst = std::max(worst, WIFEXITED(status) ? WEXITSTATUS(status) : 3);
    }

    ResultLine r("conn");
    r.add("protocol", common.protocol).add("connections", n).add("workers", nworkers)
        .add("sources", static_cast<uint64_t>(common.sources));
    r.add("connected", connected).add("failed", failed).add("dropped", dropped);
    if (!pattern.empty()) {
        r.add("subscribed", subscribed);
    }
    if (publishing) {
        r.add("published", delivery.publish.sent).add("pub_acked", delivery.publish.acked)
            .add("expected", delivery.expected).add("delivered", delivery.received)
            .add("duplicates", duplicates).add("misdelivered", misdelivered).add("deliver_s", delivery.deliver_s);
    }
    r.add("connect_s", connect_s).add("connects_per_s", connect_s > 0 ? static_cast<double>(connected) / connect_s : 0.0);
    r.add_latency("connack_", connect_ns);
    r.add_cpu(cpu);
    if (broker > 0) {
        double per_conn = connected > 0 && rss_connected > rss_before
                              ? 1024.0 * static_cast<double>(rss_connected - rss_before) / static_cast<double>(connected)
                              : 0.0;
        r.add("broker_rss_before_kb", rss_before).add("broker_rss_connected_kb", rss_connected)
            .add("broker_rss_hold_kb", rss_hold).add("broker_bytes_per_conn", per_conn);
    }
    if (!opts.disrupt.empty()) {
        r.add("disrupt_status", disruption.status).add("disrupt_cmd_s", disruption.cmd_s)
            .add("disrupt_drops", disruption.drops).add("disrupt_reconnects", disruption.reconnects)
            .add("all_back_s", disruption.back_s).add("all_back", disruption.all_back ? 1 : 0)
            .add("disrupt_start_ns", disruption.start_ns).add("all_back_ns", disruption.back_ns);
    }
    if (storm_outcome) {
        const StormOutcome& s = *storm_outcome;
        r.add("storm_after_s", opts.storm_after_s).add("storm_max_pending", static_cast<uint64_t>(
                                                            worker_common.max_pending * nworkers))
            .add("storm_dropped", s.sum.dropped).add("storm_back", s.sum.back)
            .add("storm_failures", s.sum.failures).add("storm_all_back", s.all_back ? 1 : 0)
            .add("storm_back_s", s.back_s)
            .add("storm_connects_per_s", s.back_s > 0 ? static_cast<double>(s.sum.back) / s.back_s : 0.0)
            .add("storm_start_ns", s.start_ns).add("storm_back_ns", s.back_ns);
        if (s.back_s > 0) {
            r.add("storm_gen_cpu_pct", 100.0 * static_cast<double>(s.sum.cpu_us) / 1e6 / s.back_s);
        }
        if (s.cpu.broker_pct() >= 0) {
            r.add("storm_broker_cpu_pct", s.cpu.broker_pct());
        }
        if (s.cpu.machine_pct() >= 0) {
            r.add("storm_machine_cpu_pct", s.cpu.machine_pct());
        }
    }
    r.add("hold_s", opts.hold_s);
    if (!all_ready) {
        r.add("error", std::string_view("workers_timed_out"));
    }
    r.print();
    // Reconnecting clients come back from a drop: then only the disruption's outcome counts.
    const uint64_t lost = opts.reconnect_s >= 0 ? 0 : dropped;
    bool ok = all_ready && worst == 0 && failed + lost <= common.max_errors;
    ok = ok && (opts.disrupt.empty() || disruption.all_back);
    ok = ok && (!storm_outcome || storm_outcome->all_back);
    ok = ok && (pattern.empty() || subscribed == connected);
    ok = ok && (!publishing || (delivery.received == delivery.expected && misdelivered == 0));
    return ok ? 0 : 1;
}

}  // namespace mqttbench
