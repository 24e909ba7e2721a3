#pragma once
// A lightweight process: a mailbox, a handler, links and monitors.
//
// Methods marked owner-only may be called only from the process's own
// handlers (on_message, on_exit), on its scheduler's thread. Thread-safe
// operations on other processes go through Runtime.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sched/exit_reason.hpp"
#include "sched/mailbox.hpp"
#include "sched/message.hpp"
#include "sched/pid.hpp"
#include "sched/pid_set.hpp"
#include "sched/signals.hpp"
#include "sched/timer_wheel.hpp"

namespace actormq::sched {

class Runtime;
class Scheduler;

/// Options for spawning a process.
struct SpawnOptions {
  /// Home scheduler; -1: the calling scheduler, or round-robin from outside.
  int scheduler = -1;
  /// Owns libuv handles or timers: never migrated by work stealing.
  bool pinned = false;
  /// Link the new process to the spawning one (spawn_link).
  bool link = false;
  /// Deliver a start signal, so on_start() runs on the home scheduler first.
  bool start = false;
  /// Runs before every normal process of its scheduler (BEAM's `high`
  /// priority): for a process that many others feed, such as a router, so
  /// its backlog drains before its senders read more input.
  bool high_priority = false;
};

class Process {
 public:
  virtual ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Thread-safe.
  Pid self() const { return pid_; }

 protected:
  Process() = default;

  /// Owner-only. Handles one message. An exception ends the process with
  /// reason `exception` ("let it crash").
  virtual void on_message(Message& msg) = 0;
  /// Owner-only. Runs first if spawned with SpawnOptions::start: set up
  /// libuv handles here, on the home scheduler. An exception ends the process.
  virtual void on_start() {}
  /// Owner-only. Called after each run (a batch of messages) unless the
  /// process ended: the place to flush work corked across messages, such as
  /// socket writes (one writev per run instead of one per message).
  virtual void after_run() {}
  /// Owner-only. Called once as the process ends, before links and monitors
  /// are told; release resources here (close sockets, flush state).
  virtual void on_exit(const ExitReason& /*reason*/) {}

  // ---- owner-only handler API ----

  /// Sends a message; false if no such process (the message is dropped).
  bool send(Pid to, MessagePtr msg);
  template <class T, class... Args>
  bool send(Pid to, Args&&... args) {
    return send(to, make_message<T>(std::forward<Args>(args)...));
  }
  /// Delivers `msg` to `to` after `ms` milliseconds, unless cancelled. Pins
  /// this process to its scheduler, whose timing wheel holds the timer.
  TimerRef send_after(Pid to, MessagePtr msg, std::uint64_t ms);
  bool cancel_timer(TimerRef ref);

  /// Spawns a process on this scheduler (unless options say otherwise).
  Pid spawn(std::unique_ptr<Process> p, SpawnOptions options = {});
  template <class P, class... Args>
  Pid spawn(Args&&... args) {
    return spawn(std::make_unique<P>(std::forward<Args>(args)...));
  }
  /// Spawns and links atomically: the link exists before the child runs.
  Pid spawn_link(std::unique_ptr<Process> p, SpawnOptions options = {});

  /// Ends this process with `reason` once the current message is handled.
  void exit(ExitReason reason);
  /// Sends an exit signal to another process (Erlang's exit/2).
  void exit(Pid target, ExitReason reason);
  void link(Pid other);
  void unlink(Pid other);
  MonitorRef monitor(Pid other);
  void demonitor(MonitorRef ref);
  /// While true, exit signals from links arrive as ExitMsg instead of ending us.
  void trap_exit(bool on);
  bool trapping_exits() const { return trap_exit_; }
  /// Registers `name` for this process; freed when it exits. False if taken.
  bool register_name(std::string name);
  /// Charges work beyond the base cost of one reduction per message.
  void consume(std::uint32_t reductions) { reductions_ += reductions; }
  /// True once the current message has cost a whole budget: a handler doing
  /// open-ended work (reading a socket) should stop and continue later.
  bool should_yield() const;
  /// Messages taken in at the start of this slice and not handled yet: a
  /// cheap, approximate measure of how far behind its senders we are.
  std::uint32_t mailbox_backlog() const { return mailbox_.lanes_size(); }
  /// True when at most `n` messages wait: none arrived since this slice
  /// took in its mail, and at most `n` of those are left.
  bool mailbox_within(std::uint32_t n) const { return mailbox_.lanes_size() <= n && !mailbox_.stack_has_mail(); }
  /// Marks the process as owning libuv handles: never migrated.
  void pin() { pinned_ = true; }
  /// Sends this process a Deferred message once its scheduler has nothing
  /// else to run: for work that should follow what this run set in motion
  /// (a publisher's acknowledgement after the deliveries it caused). At most
  /// one is pending; a second call before it arrives does nothing.
  void defer();

  Scheduler& scheduler() const { return *home_.load(std::memory_order_relaxed); }
  Runtime& runtime() const;

 private:
  friend class Runtime;
  friend class Scheduler;
  friend class ProcessTable;

  /// Monitors, names, links beyond the first and the exit reason: allocated
  /// on first use, so an idle process with one link (a session to its
  /// supervisor) pays two words and no allocation.
  struct Relations {
    // Besides first_link_. A set: a supervisor links to each of thousands of
    // sessions, and a vector made every link and unlink a scan (O(n^2) connects).
    PidSet links;
    std::vector<std::pair<MonitorRef, Pid>> watchers;   // who monitors us
    std::vector<std::pair<MonitorRef, Pid>> watching;   // whom we monitor
    bool registered = false;
    std::unique_ptr<ExitReason> exit_reason;  // set once exit() is requested
  };
  Relations& relations();
  bool has_link(Pid other) const;
  void add_link(Pid other);
  /// True if `other` was linked.
  bool remove_link(Pid other);

  enum class Outcome : std::uint8_t { blocked, yielded, ended, suspended };
  /// Scheduler entry: handles messages until the mailbox is empty (blocked),
  /// the budget is spent (yielded), the process ended, or it sent to a busy
  /// remote delivery (suspended: the scheduler parks it).
  Outcome run(std::int32_t budget);
  /// Scheduler, after `suspended`: true if parked (it runs again on
  /// unpark); false if a resume came first (it stays runnable).
  bool park();
  /// Any thread: a parked process is scheduled again; one that asked to be
  /// suspended and is not parked yet will not be.
  void unpark();
  void dispatch(Message& msg);
  void handle_signal(Message& msg);
  void handle_exit_signal(const signal::Exit& sig);
  /// Runs a handler; an escaping exception ends the process.
  template <class F>
  void guarded(F&& f);
  /// Runs on_exit, answers signals still queued, tells links and monitors.
  void terminate();

  Mailbox mailbox_;
  Pid pid_;
  std::atomic<Scheduler*> home_{nullptr};
  Process* run_next_ = nullptr;  // intrusive link for run queues
  Pid first_link_;  // the null pid: none
  std::unique_ptr<Relations> relations_;
  std::uint32_t reductions_ = 0;
  // Bits, so that with park_ they fit beside reductions_ (sizeof(Process)
  // 104: an idle process is a 112-byte malloc chunk; every session carries
  // them too). Written only on the home scheduler, or before the process is
  // published.
  bool exiting_ : 1 = false;  // exit() was requested: the reason is in relations_
  bool pinned_ : 1 = false;
  bool high_priority_ : 1 = false;
  bool trap_exit_ : 1 = false;
  bool deferred_ : 1 = false;  // a Deferred message is on its way
  // Suspension on a busy remote delivery: running, suspend_requested (owner,
  // in a handler), parked (scheduler), resumed (a resume came before the park).
  enum Park : std::uint8_t { running, suspend_requested, parked, resumed };
  std::atomic<std::uint8_t> park_{running};
};

/// What defer() sends.
struct Deferred {};

}  // namespace actormq::sched
