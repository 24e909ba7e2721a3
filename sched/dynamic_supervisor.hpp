#pragma once
// A supervisor of many children started on demand (OTP's simple_one_for_one,
// Elixir's DynamicSupervisor): e.g. one session process per connection. The
// children live in hash tables, so starting and ending one is O(1) however
// many there are; each is restarted by its own restart type, one for one,
// under the same restart intensity rule as Supervisor.

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>

#include "sched/pid_set.hpp"
#include "sched/supervisor.hpp"

namespace actormq::sched {

struct DynamicSupervisorSpec {
  std::uint32_t max_restarts = 3;
  std::uint64_t period_ms = 5000;
};

/// Accepts StartChild (and WhichChildren) messages.
class DynamicSupervisor : public Process {
 public:
  explicit DynamicSupervisor(DynamicSupervisorSpec spec = {});

  /// Owner-only, for tests and metrics.
  std::size_t child_count() const { return temporary_.size() + restartable_.size(); }
  std::uint64_t crashes() const { return crashes_; }

 protected:
  void on_start() override;
  void on_message(Message& msg) override;
  void on_exit(const ExitReason& reason) override;

 private:
  Pid start(ChildSpec spec);

  DynamicSupervisorSpec spec_;
  /// Children that are never restarted (sessions): their pids alone, in a
  /// flat set (8 bytes a slot, no node each: memory per idle connection is
  /// a target, BENCHMARKS.md).
  PidSet temporary_;
  /// Children that may be restarted, with the spec to restart them by.
  std::unordered_map<Pid, std::unique_ptr<ChildSpec>> restartable_;
  std::deque<std::uint64_t> restart_times_;
  std::uint64_t crashes_ = 0;
};

}  // namespace actormq::sched
