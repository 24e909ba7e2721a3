#include "sched/supervisor.hpp"

#include <algorithm>

#include "sched/runtime.hpp"

namespace actormq::sched {

namespace {
constexpr std::size_t npos = static_cast<std::size_t>(-1);
}

Supervisor::Supervisor(SupervisorSpec spec) : spec_(std::move(spec)) {}

Pid spawn_supervisor(Runtime& runtime, SupervisorSpec spec, SpawnOptions options) {
  options.start = true;
  return runtime.spawn(std::make_unique<Supervisor>(std::move(spec)), options);
}

void Supervisor::on_start() {
  trap_exit(true);
  for (ChildSpec& spec : spec_.children) {
    children_.push_back(Child{std::move(spec), Pid{}, false});
  }
  spec_.children.clear();
  for (Child& child : children_) {
    if (!start(child)) {
      exit(ExitReason::shutdown("failed to start child " + child.spec.id));
      return;
    }
  }
}

bool Supervisor::start(Child& child) {
  std::unique_ptr<Process> p;
  try {
    p = child.spec.make();
  } catch (...) {
    p = nullptr;
  }
  if (!p) {
    child.pid = Pid{};
    return false;
  }
  SpawnOptions options = child.spec.options;
  options.start = true;
  child.pid = spawn_link(std::move(p), options);
  child.stopping = false;
  return true;
}

void Supervisor::stop(Child& child) {
  if (!child.pid || child.stopping) {
    return;
  }
  child.stopping = true;
  if (child.spec.shutdown_ms == 0) {
    exit(child.pid, ExitReason::kill());
    return;
  }
  exit(child.pid, ExitReason::shutdown());
  send_after(self(), make_message<KillTimeout>(child.pid), child.spec.shutdown_ms);
}

std::size_t Supervisor::find(Pid pid) const {
  for (std::size_t i = 0; i < children_.size(); ++i) {
    if (children_[i].pid == pid) {
      return i;
    }
  }
  return npos;
}

void Supervisor::on_message(Message& msg) {
  if (auto* e = msg.as<ExitMsg>()) {
    std::size_t i = find(e->from);
    if (i != npos) {
      on_child_exit(i, e->reason);
    } else if (!e->reason.is_normal()) {
      // Our parent (or another linked process) ended: so do we (OTP semantics).
      exit(e->reason);
    }
  } else if (auto* k = msg.as<KillTimeout>()) {
    if (find(k->pid) != npos) {
      exit(k->pid, ExitReason::kill());
    }
  } else if (auto* sc = msg.as<StartChild>()) {
    children_.push_back(Child{std::move(sc->spec), Pid{}, false});
    bool ok = start(children_.back());
    ChildStarted reply{children_.back().spec.id, children_.back().pid};
    if (!ok) {
      children_.pop_back();
    }
    if (sc->reply_to) {
      send<ChildStarted>(sc->reply_to, std::move(reply));
    }
  } else if (auto* wc = msg.as<WhichChildren>()) {
    Children reply;
    for (const Child& c : children_) {
      reply.children.emplace_back(c.spec.id, c.pid);
    }
    send<Children>(wc->reply_to, std::move(reply));
  }
}

void Supervisor::on_child_exit(std::size_t index, const ExitReason& reason) {
  Child& child = children_[index];
  bool was_stopping = child.stopping;
  child.pid = Pid{};
  child.stopping = false;
  if (was_stopping) {
    restart_pending();  // part of a group restart already counted
    return;
  }
  bool restart = child.spec.restart == Restart::permanent ||
                 (child.spec.restart == Restart::transient && reason.is_abnormal());
  if (!restart) {
    if (child.spec.restart == Restart::temporary) {
      children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(index));
    }
    return;
  }
  if (!note_restart()) {
    exit(ExitReason::shutdown("reached max restart intensity"));
    return;
  }
  std::size_t first = index;
  std::size_t last = index + 1;
  if (spec_.strategy == Strategy::one_for_all) {
    first = 0;
    last = children_.size();
  } else if (spec_.strategy == Strategy::rest_for_one) {
    last = children_.size();
  }
  // Stop the group in reverse start order; restart it in start order once all ended.
  for (std::size_t i = last; i-- > first;) {
    if (i != index) {
      stop(children_[i]);
    }
  }
  for (std::size_t i = first; i < last; ++i) {
    if (std::find(pending_.begin(), pending_.end(), i) == pending_.end()) {
      pending_.push_back(i);
    }
  }
  std::sort(pending_.begin(), pending_.end());
  restart_pending();
}

bool Supervisor::note_restart() {
  std::uint64_t now = uv_now(scheduler().loop());
  restart_times_.push_back(now);
  while (!restart_times_.empty() && restart_times_.front() + spec_.period_ms <= now) {
    restart_times_.pop_front();
  }
  return restart_times_.size() <= spec_.max_restarts;
}

void Supervisor::restart_pending() {
  for (std::size_t i : pending_) {
    if (i < children_.size() && children_[i].stopping) {
      return;  // wait until every stopped child has ended
    }
  }
  std::vector<std::size_t> pending = std::move(pending_);
  pending_.clear();
  for (std::size_t i : pending) {
    if (i >= children_.size() || children_[i].pid) {
      continue;
    }
    if (children_[i].spec.restart == Restart::temporary) {
      continue;
    }
    ++restarts_;
    if (!start(children_[i])) {
      exit(ExitReason::shutdown("failed to restart child " + children_[i].spec.id));
      return;
    }
  }
  std::erase_if(children_, [](const Child& c) {
    return !c.pid && c.spec.restart == Restart::temporary;
  });
}

void Supervisor::on_exit(const ExitReason& /*reason*/) {
  // Children end before their supervisor is gone: in reverse start order.
  for (std::size_t i = children_.size(); i-- > 0;) {
    if (children_[i].pid) {
      exit(children_[i].pid, children_[i].spec.shutdown_ms == 0 ? ExitReason::kill()
                                                                : ExitReason::shutdown());
    }
  }
}

}  // namespace actormq::sched
