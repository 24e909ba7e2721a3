#include "sched/dynamic_supervisor.hpp"

#include "sched/runtime.hpp"

namespace actormq::sched {

DynamicSupervisor::DynamicSupervisor(DynamicSupervisorSpec spec) : spec_(spec) {}

void DynamicSupervisor::on_start() { trap_exit(true); }

Pid DynamicSupervisor::start(ChildSpec spec) {
  std::unique_ptr<Process> p;
  try {
    p = spec.make();
  } catch (...) {
    p = nullptr;
  }
  if (!p) {
    return Pid{};
  }
  SpawnOptions options = spec.options;
  options.start = true;
  Pid pid = spawn_link(std::move(p), options);
  if (spec.restart == Restart::temporary) {
    temporary_.insert(pid);
  } else {
    restartable_.emplace(pid, std::make_unique<ChildSpec>(std::move(spec)));
  }
  return pid;
}

void DynamicSupervisor::on_message(Message& msg) {
  if (auto* sc = msg.as<StartChild>()) {
    std::string id = sc->spec.id;
    Pid pid = start(std::move(sc->spec));
    if (sc->reply_to) {
      send<ChildStarted>(sc->reply_to, ChildStarted{std::move(id), pid});
    }
  } else if (auto* e = msg.as<ExitMsg>()) {
    std::unique_ptr<ChildSpec> spec;
    if (!temporary_.erase(e->from)) {
      auto it = restartable_.find(e->from);
      if (it == restartable_.end()) {
        if (!e->reason.is_normal()) {
          exit(e->reason);  // our parent ended: so do we
        }
        return;
      }
      spec = std::move(it->second);
      restartable_.erase(it);
    }
    if (e->reason.kind == ExitReason::Kind::exception) {
      ++crashes_;
    }
    bool restart = spec && (spec->restart == Restart::permanent ||
                            (spec->restart == Restart::transient && e->reason.is_abnormal()));
    if (!restart) {
      return;
    }
    std::uint64_t now = uv_now(scheduler().loop());
    restart_times_.push_back(now);
    while (!restart_times_.empty() && restart_times_.front() + spec_.period_ms <= now) {
      restart_times_.pop_front();
    }
    if (restart_times_.size() > spec_.max_restarts) {
      exit(ExitReason::shutdown("reached max restart intensity"));
      return;
    }
    start(std::move(*spec));
  } else if (auto* wc = msg.as<WhichChildren>()) {
    Children reply;
    temporary_.for_each([&](Pid pid) { reply.children.emplace_back("temporary", pid); });
    for (const auto& [pid, spec] : restartable_) {
      reply.children.emplace_back(spec->id, pid);
    }
    send<Children>(wc->reply_to, std::move(reply));
  }
}

void DynamicSupervisor::on_exit(const ExitReason& /*reason*/) {
  temporary_.for_each([&](Pid pid) { exit(pid, ExitReason::shutdown()); });
  for (const auto& [pid, spec] : restartable_) {
    exit(pid, spec->shutdown_ms == 0 ? ExitReason::kill() : ExitReason::shutdown());
  }
}

}  // namespace actormq::sched
