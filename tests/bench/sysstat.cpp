#include "tests/bench/sysstat.hpp"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace mqttbench {

uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

double self_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

std::optional<double> proc_cpu_seconds(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(f, line)) {
        return std::nullopt;
    }
    // The command name (field 2) may hold spaces; fields are counted after its ')'.
    size_t close = line.rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    // After ')' come field 3 (state) onwards; utime and stime are fields 14 and 15.
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) {
            utime = std::stoull(field);
        } else if (i == 15) {
            stime = std::stoull(field);
        }
    }
    if (!rest) {
        return std::nullopt;
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<uint64_t> proc_rss_kb(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stoull(line.substr(6));
        }
    }
    return std::nullopt;
}

std::optional<double> machine_busy_seconds() {
    std::ifstream f("/proc/stat");
    std::string cpu;
    unsigned long long v[8] = {};
    if (!(f >> cpu) || cpu != "cpu") {
        return std::nullopt;
    }
    unsigned long long total = 0;
    for (auto& x : v) {
        f >> x;
        total += x;
    }
    if (!f) {
        return std::nullopt;
    }
    // Fields: user nice system idle iowait irq softirq steal.
    return static_cast<double>(total - v[3] - v[4]) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void CpuWindow::start() {
    t0_ = now_ns();
    self0_ = self_cpu_seconds();
    machine0_ = machine_busy_seconds();
    if (broker_pid_ > 0) {
        broker0_ = proc_cpu_seconds(broker_pid_);
    }
}

void CpuWindow::stop() {
    t1_ = now_ns();
    self1_ = self_cpu_seconds();
    machine1_ = machine_busy_seconds();
    if (broker_pid_ > 0) {
        broker1_ = proc_cpu_seconds(broker_pid_);
        broker_rss_end_ = proc_rss_kb(broker_pid_).value_or(0);
    }
}

double CpuWindow::wall_seconds() const {
    return static_cast<double>(t1_ - t0_) / 1e9;
}

double CpuWindow::self_pct() const {
    double wall = wall_seconds();
    return wall > 0 ? 100.0 * (self1_ - self0_ + extra_self_) / wall : 0.0;
}

double CpuWindow::broker_pct() const {
    double wall = wall_seconds();
    if (!broker0_ || !broker1_ || wall <= 0) {
        return -1.0;
    }
    return 100.0 * (*broker1_ - *broker0_) / wall;
}

}  // namespace mqttbench

namespace mqttbench {

double CpuWindow::machine_pct() const {
    double wall = wall_seconds();
    if (!machine0_ || !machine1_ || wall <= 0) {
        return -1.0;
    }
    return 100.0 * (*machine1_ - *machine0_) / wall;
}

}  // namespace mqttbench
