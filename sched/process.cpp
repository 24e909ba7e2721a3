#include "sched/process.hpp"

#include <algorithm>
#include <exception>

#include "sched/runtime.hpp"

namespace actormq::sched {

// Every idle process pays this (BENCHMARKS.md: bytes_per_idle_process, and
// memory per idle connection, where a session is one process).
static_assert(sizeof(Process) <= 104, "an idle process stays within 104 bytes");

namespace {
/// Why a link or monitor to `pid` failed at once (Erlang): no such process
/// here (noproc), or its node cannot be reached (noconnection).
ExitReason unreachable(Pid pid, std::uint16_t local_node) {
  return pid.node() != local_node ? ExitReason::noconnection() : ExitReason::noproc();
}
}  // namespace

Process::~Process() = default;

Runtime& Process::runtime() const { return scheduler().runtime(); }

Process::Relations& Process::relations() {
  if (!relations_) {
    relations_ = std::make_unique<Relations>();
  }
  return *relations_;
}

bool Process::has_link(Pid other) const {
  return first_link_ == other ||
         (relations_ && relations_->links.contains(other));
}

void Process::add_link(Pid other) {
  if (has_link(other)) {
    return;
  }
  if (!first_link_) {
    first_link_ = other;
  } else {
    relations().links.insert(other);
  }
}

bool Process::remove_link(Pid other) {
  if (first_link_ == other && other) {
    first_link_ = Pid{};
    return true;
  }
  return relations_ && relations_->links.erase(other) > 0;
}

bool Process::send(Pid to, MessagePtr msg) {
  Runtime& rt = runtime();
  if (to.node() == rt.node()) [[likely]] {
    return rt.deliver(to, std::move(msg));
  }
  bool sent = rt.deliver(to, std::move(msg));
  RemoteDelivery* remote = rt.remote_delivery();
  if (sent && remote != nullptr && remote->busy(to)) {
    // Suspended after this message (Erlang suspends a sender on a busy
    // distribution port): the way to the node drains before we add more.
    std::uint8_t s = running;
    park_.compare_exchange_strong(s, suspend_requested, std::memory_order_acq_rel);
    remote->wait(to, self());
  }
  return sent;
}

bool Process::park() {
  std::uint8_t s = suspend_requested;
  if (park_.compare_exchange_strong(s, parked, std::memory_order_acq_rel)) {
    return true;
  }
  park_.store(running, std::memory_order_release);  // resumed before it parked
  return false;
}

void Process::unpark() {
  std::uint8_t s = park_.load(std::memory_order_acquire);
  for (;;) {
    if (s == parked) {
      if (park_.compare_exchange_weak(s, running, std::memory_order_acq_rel)) {
        home_.load(std::memory_order_relaxed)->schedule(this);
        return;
      }
    } else if (s == suspend_requested) {
      if (park_.compare_exchange_weak(s, resumed, std::memory_order_acq_rel)) {
        return;
      }
    } else {
      return;  // not suspended: nothing to resume
    }
  }
}

TimerRef Process::send_after(Pid to, MessagePtr msg, std::uint64_t ms) {
  pinned_ = true;
  return scheduler().add_timer(to, std::move(msg), ms);
}

bool Process::cancel_timer(TimerRef ref) { return scheduler().cancel_timer(ref); }

Pid Process::spawn(std::unique_ptr<Process> p, SpawnOptions options) {
  if (options.link) {
    return spawn_link(std::move(p), options);
  }
  return runtime().spawn(std::move(p), options);
}

Pid Process::spawn_link(std::unique_ptr<Process> p, SpawnOptions options) {
  // The child knows the link before anyone can reach it; we record ours before
  // our next message, so an immediate exit of the child still finds the link.
  p->add_link(self());
  options.link = false;
  Pid child = runtime().spawn(std::move(p), options);
  add_link(child);
  return child;
}

void Process::exit(ExitReason reason) {
  if (!exiting_) {
    relations().exit_reason = std::make_unique<ExitReason>(std::move(reason));
    exiting_ = true;
  }
}

void Process::exit(Pid target, ExitReason reason) {
  runtime().deliver(target, make_signal<signal::Exit>(self(), std::move(reason), false));
}

void Process::link(Pid other) {
  if (other == self()) {
    return;
  }
  if (has_link(other)) {
    return;
  }
  add_link(other);
  if (!runtime().deliver(other, make_signal<signal::Link>(self()))) {
    // Erlang: linking to a process that does not exist gives exit reason
    // noproc; to one whose node cannot be reached, noconnection.
    handle_exit_signal(signal::Exit{other, unreachable(other, runtime().node()), true});
  }
}

void Process::unlink(Pid other) {
  if (remove_link(other)) {
    runtime().deliver(other, make_signal<signal::Unlink>(self()));
  }
}

MonitorRef Process::monitor(Pid other) {
  MonitorRef ref = runtime().next_monitor_ref();
  relations().watching.emplace_back(ref, other);
  if (!runtime().deliver(other, make_signal<signal::Monitor>(self(), ref))) {
    runtime().deliver(self(), make_message<DownMsg>(ref, other, unreachable(other, runtime().node())));
  }
  return ref;
}

void Process::demonitor(MonitorRef ref) {
  if (!relations_) {
    return;
  }
  auto& w = relations_->watching;
  auto it = std::find_if(w.begin(), w.end(), [ref](const auto& e) { return e.first == ref; });
  if (it == w.end()) {
    return;
  }
  Pid target = it->second;
  w.erase(it);
  runtime().deliver(target, make_signal<signal::Demonitor>(ref));
}

void Process::trap_exit(bool on) { trap_exit_ = on; }

void Process::defer() {
  if (!deferred_) {
    deferred_ = true;
    scheduler().defer(self());
  }
}

bool Process::should_yield() const {
  return static_cast<std::int32_t>(reductions_) >= runtime().config().reduction_budget;
}

bool Process::register_name(std::string name) {
  if (!runtime().registry().add(std::move(name), self())) {
    return false;
  }
  relations().registered = true;
  return true;
}

template <class F>
void Process::guarded(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    exit(ExitReason::exception(e.what()));
  } catch (...) {
    exit(ExitReason::exception("unknown exception"));
  }
}

Process::Outcome Process::run(std::int32_t budget) {
  mailbox_.fetch();
  for (;;) {
    Message* raw = mailbox_.pop();
    if (raw == nullptr) {
      guarded([&] { after_run(); });
      if (exiting_) {
        terminate();
        return Outcome::ended;
      }
      // after_run may have sent us mail; only block on a really empty mailbox.
      if (mailbox_.lanes_empty() && mailbox_.try_block()) {
        return Outcome::blocked;
      }
      continue;
    }
    MessagePtr msg(raw);
    reductions_ = 1;
    dispatch(*msg);
    budget -= static_cast<std::int32_t>(reductions_);
    if (exiting_) {
      terminate();
      return Outcome::ended;
    }
    if (park_.load(std::memory_order_relaxed) != running) [[unlikely]] {
      guarded([&] { after_run(); });
      if (exiting_) {
        terminate();
        return Outcome::ended;
      }
      return Outcome::suspended;
    }
    if (budget <= 0) {
      guarded([&] { after_run(); });
      if (exiting_) {
        terminate();
        return Outcome::ended;
      }
      return Outcome::yielded;
    }
  }
}

void Process::dispatch(Message& msg) {
  if (msg.urgent()) {
    handle_signal(msg);
    return;
  }
  if (auto* down = msg.as<DownMsg>()) {
    // A DOWN for a monitor we already removed is stale: drop it.
    auto& w = relations().watching;
    auto it = std::find_if(w.begin(), w.end(),
                           [down](const auto& e) { return e.first == down->ref; });
    if (it == w.end()) {
      return;
    }
    w.erase(it);
  } else if (msg.is<Deferred>()) {
    deferred_ = false;
  }
  guarded([&] { on_message(msg); });
}

void Process::handle_signal(Message& msg) {
  if (auto* sig = msg.as<signal::Exit>()) {
    handle_exit_signal(*sig);
  } else if (auto* link = msg.as<signal::Link>()) {
    add_link(link->from);
  } else if (auto* unlink_sig = msg.as<signal::Unlink>()) {
    remove_link(unlink_sig->from);
  } else if (auto* mon = msg.as<signal::Monitor>()) {
    relations().watchers.emplace_back(mon->ref, mon->from);
  } else if (auto* demon = msg.as<signal::Demonitor>()) {
    if (relations_) {
      std::erase_if(relations_->watchers, [demon](const auto& e) { return e.first == demon->ref; });
    }
  } else if (msg.is<signal::Start>()) {
    guarded([&] { on_start(); });
  } else if (msg.is<signal::Shutdown>()) {
    exit(ExitReason::shutdown());
  }
}

void Process::handle_exit_signal(const signal::Exit& sig) {
  if (sig.linked) {
    // An exit along a link we have since removed is ignored (Erlang semantics).
    if (!remove_link(sig.from)) {
      return;
    }
  } else if (sig.reason.kind == ExitReason::Kind::kill) {
    exit(ExitReason::killed());  // untrappable
    return;
  }
  if (trap_exit_) {
    runtime().deliver(self(), make_message<ExitMsg>(sig.from, sig.reason));
    return;
  }
  if (sig.reason.is_normal()) {
    return;
  }
  exit(sig.reason.kind == ExitReason::Kind::kill ? ExitReason::killed() : sig.reason);
}

void Process::terminate() {
  const ExitReason reason = *relations_->exit_reason;
  try {
    on_exit(reason);
  } catch (...) {
    // The process is ending either way; its links still learn the first reason.
  }
  Runtime& rt = runtime();
  // Signals that raced with our end still deserve an answer.
  Message* rest = mailbox_.close();
  while (rest != nullptr) {
    MessagePtr m = Mailbox::take_front(rest);
    if (auto* link = m->as<signal::Link>()) {
      rt.deliver(link->from, make_signal<signal::Exit>(self(), reason, true));
    } else if (auto* mon = m->as<signal::Monitor>()) {
      rt.deliver(mon->from, make_message<DownMsg>(mon->ref, self(), ExitReason::noproc()));
    }
  }
  if (first_link_) {
    rt.deliver(first_link_, make_signal<signal::Exit>(self(), reason, true));
  }
  if (relations_) {
    relations_->links.for_each(
        [&](Pid other) { rt.deliver(other, make_signal<signal::Exit>(self(), reason, true)); });
    for (const auto& [ref, watcher] : relations_->watchers) {
      rt.deliver(watcher, make_message<DownMsg>(ref, self(), reason));
    }
    for (const auto& [ref, target] : relations_->watching) {
      rt.deliver(target, make_signal<signal::Demonitor>(ref));
    }
    if (relations_->registered) {
      rt.registry().remove_all(self());
    }
  }
  rt.table().remove(self());
}

}  // namespace actormq::sched
