#include "sched/runtime.hpp"

#include <bit>
#include <chrono>
#include <thread>

namespace actormq::sched {

Runtime::Runtime(RuntimeConfig config)
    : config_(config), table_(config.node, config.creation), next_ref_((MonitorRef{config.node} << 48) | 1) {
  unsigned n = config_.schedulers != 0 ? config_.schedulers : std::thread::hardware_concurrency();
  n = std::max(1u, std::min(n, 64u));  // the idle mask has 64 bits
  config_.schedulers = n;
  idle_mask_.store(n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1);
  for (unsigned i = 0; i < n; ++i) {
    schedulers_.push_back(std::make_unique<Scheduler>(*this, i));
  }
  if (config_.threaded) {
    for (auto& s : schedulers_) {
      s->start();
    }
  }
}

Runtime::~Runtime() {
  shutdown();
  // Whatever did not end in time is freed now that no scheduler runs.
  for (Process* p : table_.take_all()) {
    delete p;
  }
}

Scheduler& Runtime::place(const SpawnOptions& options) {
  if (options.scheduler >= 0) {
    return *schedulers_[static_cast<std::size_t>(options.scheduler) % schedulers_.size()];
  }
  Scheduler* here = Scheduler::current();
  if (here != nullptr && &here->runtime() == this) {
    return *here;
  }
  unsigned i = next_placement_.fetch_add(1, std::memory_order_relaxed);
  return *schedulers_[i % schedulers_.size()];
}

Pid Runtime::spawn(std::unique_ptr<Process> p, SpawnOptions options) {
  Scheduler& home = place(options);
  Pid pid = table_.allocate();
  p->pid_ = pid;
  p->home_.store(&home, std::memory_order_relaxed);
  p->pinned_ = p->pinned_ || options.pinned;
  p->high_priority_ = options.high_priority;
  live_.fetch_add(1, std::memory_order_relaxed);
  // The mailbox starts blocked: a new process costs nothing until it gets mail.
  table_.publish(pid, p.release(), home.id());
  if (options.start) {
    deliver(pid, make_signal<signal::Start>());
  }
  if (shut_down_.load(std::memory_order_acquire)) {
    // Spawned while stopping (e.g. a supervisor restarting a child): stop it too.
    deliver(pid, make_signal<signal::Shutdown>());
  }
  return pid;
}

bool Runtime::deliver(Pid to, MessagePtr msg) {
  // The one cost of distribution on the local path: the process table holds
  // this node's processes only, so another node's pid must not reach it.
  if (to.node() != config_.node) [[unlikely]] {
    return deliver_remote(to, std::move(msg));
  }
  Scheduler* here = Scheduler::current();
  if (here != nullptr && &here->runtime() == this) {
    // Fast path: the target lives on this thread, so it cannot end or move meanwhile.
    if (Process* p = table_.local(to, here->id()); p != nullptr && p->self() == to) {
      switch (p->mailbox_.push(std::move(msg))) {
        case Mailbox::PushResult::woke_reader:
          here->schedule(p);
          return true;
        case Mailbox::PushResult::queued:
          return true;
        case Mailbox::PushResult::closed:
          return false;
      }
    }
  }
  bool queued = false;
  const bool urgent = msg->urgent();
  table_.with_process(to, [&](Process& p) {
    switch (p.mailbox_.push(std::move(msg))) {
      case Mailbox::PushResult::woke_reader:
        p.home_.load(std::memory_order_relaxed)->schedule(&p);
        queued = true;
        break;
      case Mailbox::PushResult::queued:
        if (urgent) [[unlikely]] {
          p.unpark();  // a suspended process still hears exit signals (and shutdown)
        }
        queued = true;
        break;
      case Mailbox::PushResult::closed:
        break;
    }
  });
  return queued;
}

void Runtime::resume(Pid pid) {
  table_.with_process(pid, [](Process& p) { p.unpark(); });
}

bool Runtime::deliver_remote(Pid to, MessagePtr msg) {
  if (!to.valid()) {
    return false;  // the null pid names no process on any node
  }
  RemoteDelivery* remote = remote_.load(std::memory_order_acquire);
  if (remote != nullptr && remote->send(to, std::move(msg))) {
    return true;
  }
  remote_dropped_.fetch_add(1, std::memory_order_relaxed);
  report_remote_drop(to, remote != nullptr);
  return false;
}

void Runtime::report_remote_drop(Pid to, bool registered) {
  if (!config_.on_warning) {
    return;
  }
  std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
  std::int64_t next = next_remote_report_ms_.load(std::memory_order_relaxed);
  auto interval = static_cast<std::int64_t>(config_.remote_drop_report_interval_ms);
  // One thread per interval reports: a flood of drops is one line, not one per message.
  if (now < next || !next_remote_report_ms_.compare_exchange_strong(next, now + interval,
                                                                    std::memory_order_relaxed)) {
    return;
  }
  std::uint64_t total = remote_dropped_.load(std::memory_order_relaxed);
  std::uint64_t since = total - remote_reported_.exchange(total, std::memory_order_relaxed);
  std::string line = "dropped ";
  line += std::to_string(since);
  line += " message(s) for processes of other nodes (";
  line += std::to_string(total);
  line += " in all; the last for ";
  line += to.to_string();
  line += registered ? "): its node cannot be reached" : "): no remote delivery is registered on node ";
  if (!registered) {
    line += std::to_string(config_.node);
  }
  config_.on_warning(line);
}

bool Runtime::send(Pid to, MessagePtr msg) { return deliver(to, std::move(msg)); }

bool Runtime::exit(Pid target, ExitReason reason) {
  return deliver(target, make_signal<signal::Exit>(Pid{}, std::move(reason), false));
}

bool Runtime::alive(Pid pid) {
  return table_.with_process(pid, [](Process& p) { (void)p; });
}

void Runtime::reap(Process* p) {
  delete p;
  live_.fetch_sub(1, std::memory_order_acq_rel);
}

void Runtime::set_idle(unsigned id, bool idle) {
  std::uint64_t bit = std::uint64_t{1} << id;
  bool now_idle = (idle_mask_.load(std::memory_order_relaxed) & bit) != 0;
  if (idle && !now_idle) {
    idle_mask_.fetch_or(bit, std::memory_order_release);
  } else if (!idle && now_idle) {
    idle_mask_.fetch_and(~bit, std::memory_order_release);
  }
}

Scheduler* Runtime::claim_idle(unsigned self) {
  if (!config_.work_stealing) {
    return nullptr;
  }
  std::uint64_t others = idle_mask_.load(std::memory_order_relaxed) & ~(std::uint64_t{1} << self);
  if (others == 0) {
    return nullptr;
  }
  auto id = static_cast<unsigned>(std::countr_zero(others));
  std::uint64_t bit = std::uint64_t{1} << id;
  if ((idle_mask_.fetch_and(~bit, std::memory_order_acq_rel) & bit) == 0) {
    return nullptr;  // another scheduler claimed it first
  }
  return schedulers_[id].get();
}

std::int64_t Runtime::shutdown(std::uint64_t timeout_ms) {
  if (shut_down_.exchange(true, std::memory_order_acq_rel)) {
    return process_count();
  }
  for (Pid pid : table_.live_pids()) {
    deliver(pid, make_signal<signal::Shutdown>());
  }
  auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (process_count() > 0 && std::chrono::steady_clock::now() < give_up) {
    if (config_.threaded) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } else if (run_until_idle() == 0) {
      break;
    }
  }
  for (auto& s : schedulers_) {
    s->stop();
  }
  for (auto& s : schedulers_) {
    s->join();
  }
  return process_count();
}

std::uint64_t Runtime::run_until_idle() {
  std::uint64_t total = 0;
  for (;;) {
    std::uint64_t pass = 0;
    for (auto& s : schedulers_) {
      pass += s->run_until_idle();
    }
    total += pass;
    if (pass == 0) {
      return total;
    }
  }
}

}  // namespace actormq::sched
