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
  children_.emplace(pid, spec.restart == Restart::temporary
                             ? nullptr
                             : std::make_unique<ChildSpec>(std::move(spec)));
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
    auto it = children_.find(e->from);
    if (it == children_.end()) {
      if (!e->reason.is_normal()) {
        exit(e->reason);  // our parent ended: so do we
      }
      return;
    }
    std::unique_ptr<ChildSpec> spec = std::move(it->second);
    children_.erase(it);
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
    for (const auto& [pid, spec] : children_) {
      reply.children.emplace_back(spec ? spec->id : std::string("temporary"), pid);
    }
    send<Children>(wc->reply_to, std::move(reply));
  }
}

void DynamicSupervisor::on_exit(const ExitReason& /*reason*/) {
  for (const auto& [pid, spec] : children_) {
    exit(pid, spec && spec->shutdown_ms == 0 ? ExitReason::kill() : ExitReason::shutdown());
  }
}

}  // namespace actormq::sched
