#pragma once
// Test helpers: a process whose behaviour is a lambda, and a watchdog wait.

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "sched/runtime.hpp"

namespace actormq::sched::testing {

/// A process driven by a lambda; the lambda gets the process to call the
/// owner-only API through the public forwarding methods below.
class Fn : public Process {
 public:
  using Handler = std::function<void(Fn&, Message&)>;
  explicit Fn(Handler h, std::function<void(Fn&, const ExitReason&)> on_exit_fn = {},
              std::function<void(Fn&)> on_start_fn = {})
      : h_(std::move(h)), exit_fn_(std::move(on_exit_fn)), start_fn_(std::move(on_start_fn)) {}

  using Process::cancel_timer;
  using Process::consume;
  using Process::defer;
  using Process::demonitor;
  using Process::exit;
  using Process::link;
  using Process::mailbox_backlog;
  using Process::mailbox_within;
  using Process::monitor;
  using Process::register_name;
  using Process::scheduler;
  using Process::send;
  using Process::send_after;
  using Process::spawn;
  using Process::spawn_link;
  using Process::trap_exit;
  using Process::unlink;

 protected:
  void on_message(Message& m) override { h_(*this, m); }
  void on_exit(const ExitReason& r) override {
    if (exit_fn_) {
      exit_fn_(*this, r);
    }
  }
  void on_start() override {
    if (start_fn_) {
      start_fn_(*this);
    }
  }

 private:
  Handler h_;
  std::function<void(Fn&, const ExitReason&)> exit_fn_;
  std::function<void(Fn&)> start_fn_;
};

/// Waits until pred() holds or `ms` pass (the watchdog of concurrent tests).
template <class Pred>
bool wait_until(Pred pred, int ms = 10000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

inline RuntimeConfig stepped(unsigned schedulers = 1) {
  RuntimeConfig c;
  c.schedulers = schedulers;
  c.threaded = false;
  return c;
}

inline RuntimeConfig threaded(unsigned schedulers = 2) {
  RuntimeConfig c;
  c.schedulers = schedulers;
  c.threaded = true;
  return c;
}

}  // namespace actormq::sched::testing
