#pragma once
// Messages the runtime exchanges between processes. The first group reaches a
// process's handler; the second is handled by the runtime before the handler
// sees anything (they travel in the urgent lane).

#include <cstdint>

#include "sched/exit_reason.hpp"
#include "sched/pid.hpp"

namespace actormq::sched {

/// Identifies one monitor; unique within a runtime.
using MonitorRef = std::uint64_t;

/// Delivered to a process that traps exits, instead of dying of a linked
/// process's end (Erlang's {'EXIT', From, Reason}).
struct ExitMsg {
  Pid from;
  ExitReason reason;
};

/// Delivered to a monitoring process when the monitored one ends
/// (Erlang's {'DOWN', Ref, process, Pid, Reason}).
struct DownMsg {
  MonitorRef ref;
  Pid pid;
  ExitReason reason;
};

namespace signal {
struct Link {
  Pid from;
};
struct Unlink {
  Pid from;
};
/// `linked`: sent because a linked process ended (ignored if the link is gone);
/// otherwise an explicit exit(pid, reason) call.
struct Exit {
  Pid from;
  ExitReason reason;
  bool linked;
};
struct Monitor {
  Pid from;
  MonitorRef ref;
};
struct Demonitor {
  MonitorRef ref;
};
/// First signal of a process spawned with SpawnOptions::start.
struct Start {};
/// The runtime is stopping: end now, whatever trap_exit says.
struct Shutdown {};
}  // namespace signal

}  // namespace actormq::sched
