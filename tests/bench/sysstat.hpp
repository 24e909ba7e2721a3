#pragma once
// Clocks and resource readers: the generator's own CPU (getrusage) and a broker's
// CPU and resident memory read from /proc, so every figure comes with its cost.

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace mqttbench {

/// CLOCK_MONOTONIC in nanoseconds; comparable across processes on this machine.
[[nodiscard]] uint64_t now_ns();

/// User + system CPU seconds of this process (RUSAGE_SELF).
[[nodiscard]] double self_cpu_seconds();

/// User + system CPU seconds of pid, from /proc/PID/stat; nullopt if unreadable.
[[nodiscard]] std::optional<double> proc_cpu_seconds(pid_t pid);

/// Resident set size of pid in KiB, from /proc/PID/status VmRSS.
[[nodiscard]] std::optional<uint64_t> proc_rss_kb(pid_t pid);

/// Busy CPU seconds of the whole machine, all cores (/proc/stat: all but idle and iowait).
[[nodiscard]] std::optional<double> machine_busy_seconds();

/// CPU use of this process and, optionally, of a broker over one measured window.
class CpuWindow {
public:
    explicit CpuWindow(pid_t broker_pid = 0) : broker_pid_(broker_pid) {}

    void start();
    void stop();

    [[nodiscard]] double wall_seconds() const;
    /// Percent of one core, user + system.
    [[nodiscard]] double self_pct() const;
    /// Percent of one core; negative when no broker pid was given or it was unreadable.
    [[nodiscard]] double broker_pct() const;
    /// Whole machine, percent of one core (up to 100 x cores): shows when something
    /// besides the broker and the generator competed for the CPUs.
    [[nodiscard]] double machine_pct() const;
    /// Broker VmRSS at stop(); 0 when unknown.
    [[nodiscard]] uint64_t broker_rss_kb() const { return broker_rss_end_; }

    /// Adds CPU seconds spent elsewhere on the generator's behalf (forked workers).
    void add_self_cpu(double seconds) { extra_self_ += seconds; }

private:
    pid_t broker_pid_;
    uint64_t t0_ = 0;
    uint64_t t1_ = 0;
    double self0_ = 0;
    double self1_ = 0;
    double extra_self_ = 0;
    std::optional<double> machine0_;
    std::optional<double> machine1_;
    std::optional<double> broker0_;
    std::optional<double> broker1_;
    uint64_t broker_rss_end_ = 0;
};

}  // namespace mqttbench
