#pragma once
// A supervisor of many children started on demand (OTP's simple_one_for_one,
// Elixir's DynamicSupervisor): e.g. one session process per connection. The
// children live in a hash map, so starting and ending one is O(1) however
// many there are; each is restarted by its own restart type, one for one,
// under the same restart intensity rule as Supervisor.

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>

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
  std::size_t child_count() const { return children_.size(); }
  std::uint64_t crashes() const { return crashes_; }

 protected:
  void on_start() override;
  void on_message(Message& msg) override;
  void on_exit(const ExitReason& reason) override;

 private:
  Pid start(ChildSpec spec);

  DynamicSupervisorSpec spec_;
  /// The spec is kept only for children that may be restarted: a temporary
  /// child (a session) costs one small map node.
  std::unordered_map<Pid, std::unique_ptr<ChildSpec>> children_;
  std::deque<std::uint64_t> restart_times_;
  std::uint64_t crashes_ = 0;
};

}  // namespace actormq::sched
