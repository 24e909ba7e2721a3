#pragma once
// The runtime: schedulers, the process table and the name registry.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sched/process.hpp"
#include "sched/process_table.hpp"
#include "sched/registry.hpp"
#include "sched/remote_delivery.hpp"
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
  /// This node's id: pids of other nodes go through the RemoteDelivery.
  std::uint16_t node = 0;
  /// This run of the node (Erlang's creation), in every pid it gives out: a
  /// pid of an earlier run with another creation reaches no process of this
  /// one. Nodes of a cluster take a new one at each start (core/config/cluster.hpp).
  std::uint8_t creation = 0;
  /// Where the runtime reports what an operator should know (sends to other
  /// nodes dropped), one line of text; called on any thread. Empty: nowhere.
  std::function<void(const std::string&)> on_warning;
  /// At most one report of dropped remote sends per this many milliseconds.
  std::uint64_t remote_drop_report_interval_ms = 10000;
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
  /// A pid of another node: handed to the RemoteDelivery, if any.
  bool send(Pid to, MessagePtr msg);
  template <class T, class... Args>
  bool send(Pid to, Args&&... args) {
    return send(to, make_message<T>(std::forward<Args>(args)...));
  }
  /// Exit signal from outside any process (as from a process that traps nothing).
  bool exit(Pid target, ExitReason reason);
  /// A live process of this node has this pid (another node's pid: false).
  bool alive(Pid pid);
  Registry& registry() { return registry_; }
  std::int64_t process_count() const { return live_.load(std::memory_order_acquire); }

  /// Tells every process to end (they run on_exit and notify links), waits up
  /// to `timeout_ms` for all to finish, then stops and joins the schedulers.
  /// Returns the number of processes that had not ended in time.
  std::int64_t shutdown(std::uint64_t timeout_ms = 5000);

  /// Thread-safe. From now on, messages and signals for pids of other nodes
  /// go to `remote` (nullptr: they are dropped again). Set it before
  /// processes talk to other nodes; it must outlive every send, that is the
  /// runtime's shutdown().
  void set_remote_delivery(RemoteDelivery* remote) { remote_.store(remote, std::memory_order_release); }
  [[nodiscard]] RemoteDelivery* remote_delivery() const { return remote_.load(std::memory_order_acquire); }
  /// Lets a process suspended on a busy remote delivery (RemoteDelivery::busy)
  /// run again; nothing for a process that is not suspended.
  void resume(Pid pid);
  /// Thread-safe. Messages and signals for pids of other nodes that were
  /// dropped: no RemoteDelivery was registered, or it could not take them.
  std::uint64_t remote_dropped() const { return remote_dropped_.load(std::memory_order_relaxed); }
  /// This node's id (RuntimeConfig::node).
  std::uint16_t node() const { return config_.node; }
  /// This run of the node (RuntimeConfig::creation).
  std::uint8_t creation() const { return config_.creation; }

  /// What the program on this runtime keeps for all its processes (a
  /// broker's context): one pointer here, so that each of a million
  /// processes need not hold one. Set before they are spawned.
  void set_host(void* host) noexcept { host_ = host; }
  [[nodiscard]] void* host() const noexcept { return host_; }

  const RuntimeConfig& config() const { return config_; }
  std::size_t scheduler_count() const { return schedulers_.size(); }
  Scheduler& scheduler(std::size_t i) { return *schedulers_[i]; }
  ProcessTable& table() { return table_; }

  /// Stepped mode: runs every scheduler until none has work. Returns runs made.
  std::uint64_t run_until_idle();

  /// A new monitor reference, unique in the cluster: the node id is in its
  /// high 16 bits, so that a Demonitor (which carries only the reference)
  /// from another node names one monitor of the process it reaches.
  MonitorRef next_monitor_ref() { return next_ref_.fetch_add(1, std::memory_order_relaxed); }

 private:
  friend class Process;
  friend class Scheduler;

  /// Pushes `msg` into `to`'s mailbox and schedules it if that woke it; a
  /// pid of another node goes to deliver_remote.
  bool deliver(Pid to, MessagePtr msg);
  /// Hands `msg` to the RemoteDelivery; without one (or if it refuses),
  /// counts and reports the drop and returns false.
  bool deliver_remote(Pid to, MessagePtr msg);
  /// Reports dropped remote sends, at most once per report interval.
  void report_remote_drop(Pid to, bool registered);
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
  std::atomic<MonitorRef> next_ref_;
  void* host_ = nullptr;
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> idle_mask_{0};  // bit i: scheduler i has nothing to run
  std::atomic<RemoteDelivery*> remote_{nullptr};
  std::atomic<std::uint64_t> remote_dropped_{0};
  std::atomic<std::uint64_t> remote_reported_{0};     // remote_dropped_ at the last report
  std::atomic<std::int64_t> next_remote_report_ms_{0};  // steady clock; 0: report the first drop
};

}  // namespace actormq::sched
