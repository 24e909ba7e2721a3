#pragma once
// The runtime: schedulers, the process table and the name registry.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sched/process.hpp"
#include "sched/process_table.hpp"
#include "sched/registry.hpp"
#include "sched/scheduler.hpp"

namespace actormq::sched {

struct RuntimeConfig {
  /// Scheduler threads; 0 means one per core.
  unsigned schedulers = 0;
  /// Reductions a process may spend before it yields (one per message plus
  /// what handlers charge with consume()).
  std::int32_t reduction_budget = 2000;
  /// Upper bound of one run of the scheduler between I/O polls.
  std::uint64_t slice_quota_us = 2000;
  /// Idle schedulers ask busy ones for unpinned processes.
  bool work_stealing = true;
  /// False: no threads; tests drive each scheduler with run_until_idle().
  bool threaded = true;
  std::uint16_t node = 0;
};

class Runtime {
 public:
  explicit Runtime(RuntimeConfig config = {});
  /// Shuts down (if not already) and joins the scheduler threads.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // ---- thread-safe ----

  Pid spawn(std::unique_ptr<Process> p, SpawnOptions options = {});
  template <class P, class... Args>
  Pid spawn(Args&&... args) {
    return spawn(std::make_unique<P>(std::forward<Args>(args)...));
  }
  /// Delivers a message; false (message destroyed) if the process is gone.
  bool send(Pid to, MessagePtr msg);
  template <class T, class... Args>
  bool send(Pid to, Args&&... args) {
    return send(to, make_message<T>(std::forward<Args>(args)...));
  }
  /// Exit signal from outside any process (as from a process that traps nothing).
  bool exit(Pid target, ExitReason reason);
  bool alive(Pid pid);
  Registry& registry() { return registry_; }
  std::int64_t process_count() const { return live_.load(std::memory_order_acquire); }

  /// Tells every process to end (they run on_exit and notify links), waits up
  /// to `timeout_ms` for all to finish, then stops and joins the schedulers.
  /// Returns the number of processes that had not ended in time.
  std::int64_t shutdown(std::uint64_t timeout_ms = 5000);

  const RuntimeConfig& config() const { return config_; }
  std::size_t scheduler_count() const { return schedulers_.size(); }
  Scheduler& scheduler(std::size_t i) { return *schedulers_[i]; }
  ProcessTable& table() { return table_; }

  /// Stepped mode: runs every scheduler until none has work. Returns runs made.
  std::uint64_t run_until_idle();

  /// A new, runtime-unique monitor reference.
  MonitorRef next_monitor_ref() { return next_ref_.fetch_add(1, std::memory_order_relaxed); }

 private:
  friend class Process;
  friend class Scheduler;

  /// Pushes `msg` into `to`'s mailbox and schedules it if that woke it.
  bool deliver(Pid to, MessagePtr msg);
  Scheduler& place(const SpawnOptions& options);
  /// Called by a scheduler after a process ended: frees it.
  void reap(Process* p);
  /// Thread-safe: records whether scheduler `id` has nothing to run.
  void set_idle(unsigned id, bool idle);
  /// Thread-safe: takes one idle scheduler other than `self` for work sharing.
  Scheduler* claim_idle(unsigned self);

  RuntimeConfig config_;
  ProcessTable table_;
  Registry registry_;
  std::vector<std::unique_ptr<Scheduler>> schedulers_;
  std::atomic<std::int64_t> live_{0};
  std::atomic<unsigned> next_placement_{0};
  std::atomic<MonitorRef> next_ref_{1};
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> idle_mask_{0};  // bit i: scheduler i has nothing to run
};

}  // namespace actormq::sched
