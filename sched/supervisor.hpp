#pragma once
// Supervisors (OTP's supervisor behaviour): start children, watch them through
// links, restart them by strategy, and give up past a restart intensity.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sched/process.hpp"

namespace actormq::sched {

enum class Strategy : std::uint8_t {
  one_for_one,   ///< restart only the child that ended
  one_for_all,   ///< stop all other children, restart all
  rest_for_one,  ///< stop the children started after it, restart it and them
};

enum class Restart : std::uint8_t {
  permanent,  ///< always restarted
  transient,  ///< restarted only after an abnormal end (not normal, not shutdown)
  temporary,  ///< never restarted; forgotten when it ends
};

struct ChildSpec {
  std::string id;
  /// Builds a fresh process for each (re)start; may throw to fail the start.
  std::function<std::unique_ptr<Process>()> make;
  Restart restart = Restart::permanent;
  /// How long a child may take to end after `shutdown` before it is killed;
  /// 0 kills at once.
  std::uint64_t shutdown_ms = 5000;
  SpawnOptions options{};
};

struct SupervisorSpec {
  Strategy strategy = Strategy::one_for_one;
  /// More than `max_restarts` restarts within `period_ms` ends the supervisor
  /// with reason shutdown ("reached max restart intensity").
  std::uint32_t max_restarts = 3;
  std::uint64_t period_ms = 5000;
  std::vector<ChildSpec> children;
};

/// Ask a supervisor to start one more child (OTP's start_child); the new pid
/// is sent to `reply_to` as a ChildStarted message if reply_to is valid.
struct StartChild {
  ChildSpec spec;
  Pid reply_to;
};
struct ChildStarted {
  std::string id;
  Pid pid;  ///< invalid if the start failed
};
/// Ask for the children's ids and pids, answered with a Children message.
struct WhichChildren {
  Pid reply_to;
};
struct Children {
  std::vector<std::pair<std::string, Pid>> children;
};

/// Spawn with SpawnOptions::start (spawn_supervisor does) so the children are
/// started on the supervisor's scheduler before it handles anything else.
class Supervisor : public Process {
 public:
  explicit Supervisor(SupervisorSpec spec);

  /// Restarts made so far (for tests and metrics).
  std::uint64_t restarts() const { return restarts_; }

 protected:
  void on_start() override;
  void on_message(Message& msg) override;
  void on_exit(const ExitReason& reason) override;

 private:
  struct Child {
    ChildSpec spec;
    Pid pid;
    bool stopping = false;  // asked to end as part of a group restart
  };
  struct KillTimeout {
    Pid pid;
  };

  void on_child_exit(std::size_t index, const ExitReason& reason);
  bool start(Child& child);
  void stop(Child& child);
  bool note_restart();
  void restart_pending();
  std::size_t find(Pid pid) const;

  SupervisorSpec spec_;
  std::vector<Child> children_;
  std::deque<std::uint64_t> restart_times_;  // ms timestamps within the period
  std::vector<std::size_t> pending_;        // children to start once the stopping ones ended
  std::uint64_t restarts_ = 0;
};

/// Spawns a supervisor that starts its children on its own scheduler.
Pid spawn_supervisor(Runtime& runtime, SupervisorSpec spec, SpawnOptions options = {});

}  // namespace actormq::sched
