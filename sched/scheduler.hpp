#pragma once
// One scheduler per core: an OS thread, a uv_loop, a run queue, a timing wheel.
//
// Between I/O polls the scheduler runs runnable processes, each until its
// mailbox is empty or its reduction budget is spent (then it goes to the back
// of the queue), and bounds the whole run by a time quota so I/O is polled
// often. Other threads hand it processes through an MPSC stack and one
// coalesced uv_async wake-up; the async callback drains everything.

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "sched/timer_wheel.hpp"

namespace actormq::sched {

class Process;
class Runtime;

class Scheduler {
 public:
  Scheduler(Runtime& runtime, unsigned id);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Thread-safe. The scheduler whose thread is calling, or nullptr.
  static Scheduler* current();

  /// Thread-safe. Queues a process that just became runnable.
  void schedule(Process* p);

  /// Owner-only: the loop for libuv handles of processes homed here.
  uv_loop_t* loop() { return &loop_; }
  /// Owner-only. Delivers `msg` to `to` after `ms` milliseconds.
  TimerRef add_timer(Pid to, MessagePtr msg, std::uint64_t ms);
  /// Owner-only. True if the timer was still pending.
  bool cancel_timer(TimerRef ref);
  /// Owner-only. Sends `pid` a Deferred message once the run queue is empty
  /// (or the slice ends), before the next I/O poll.
  void defer(Pid pid) { deferred_.push_back(pid); }
  /// Owner-only. Timers pending on this scheduler.
  std::size_t timer_count() const { return timers_.size(); }
  Runtime& runtime() const { return runtime_; }
  unsigned id() const { return id_; }

  /// Per-loop state that a library keeps beside the scheduler (net's epoll
  /// set, for one): made on first use, destroyed only after the loop has
  /// closed every handle, so a service may own libuv handles on this loop.
  struct Service {
    virtual ~Service() = default;
  };
  /// Owner-only. The scheduler's T, made from `args` on first use.
  template <class T, class... Args>
  T& service(Args&&... args) {
    static const char key = 0;  // one address per T: the service's identity
    for (auto& [k, s] : services_) {
      if (k == &key) {
        return static_cast<T&>(*s);
      }
    }
    auto owned = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *owned;
    services_.emplace_back(&key, std::move(owned));
    return ref;
  }

  /// Starts the scheduler's thread (threaded mode).
  void start();
  /// Thread-safe. Asks the loop to close its handles and end; join() waits.
  void stop();
  void join();
  /// Stepped mode (no thread): runs on the caller's thread until no process
  /// is runnable and no wake-up is pending. Returns the process runs made.
  std::uint64_t run_until_idle();
  /// Stepped mode: polls I/O once without waiting and runs one slice.
  std::uint64_t run_once();

  /// Thread-safe counters, for tests and metrics.
  std::uint64_t processes_run() const { return runs_.load(std::memory_order_relaxed); }
  std::uint64_t processes_stolen() const { return stolen_.load(std::memory_order_relaxed); }
  std::uint32_t queue_length() const { return queue_len_.load(std::memory_order_relaxed); }

 private:
  static void on_async(uv_async_t* handle);
  static void on_idle(uv_idle_t* handle);
  static void on_timer(uv_timer_t* handle);

  void push_local(Process* p);
  Process* pop_local();
  void drain_remote();
  void run_slice();
  void run_process(Process* p);
  void after_slice();
  void fire_timers();
  void arm_timer();
  void share_work();
  /// Delivers the deferred messages; false if there were none.
  bool release_deferred();

  Runtime& runtime_;
  unsigned id_;
  uv_loop_t loop_{};
  uv_async_t async_{};
  uv_idle_t idle_{};
  uv_timer_t timer_{};
  std::thread thread_;
  TimerWheel timers_;

  // Owner-only FIFOs of runnable processes: high priority ones run first.
  struct RunQueue {
    Process* head = nullptr;
    Process* tail = nullptr;
  };
  RunQueue high_;
  RunQueue normal_;
  std::uint32_t local_len_ = 0;  // both queues
  std::atomic<Process*> remote_{nullptr};  // MPSC stack from other threads
  std::atomic<std::uint32_t> queue_len_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> runs_{0};
  std::atomic<std::uint64_t> stolen_{0};
  std::uint64_t timer_armed_for_ = UINT64_MAX;
  bool in_slice_ = false;
  bool loop_closed_ = false;
  std::vector<Pid> deferred_;
  std::vector<std::pair<const void*, std::unique_ptr<Service>>> services_;
};

}  // namespace actormq::sched
