#pragma once
// The links and monitors that cross one node link, learnt from the signals
// passing through it both ways, so that when the link goes down each local
// process hears of its remote partners as Erlang's do: a linked process gets
// an exit signal with reason noconnection, a monitoring one a DOWN with
// noconnection, and a local process monitored from the far side forgets
// that monitor. Owner-only (the link's process); no socket, no runtime.

#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sched/message.hpp"
#include "sched/pid.hpp"
#include "sched/signals.hpp"

namespace actormq::dist {

class LinkRelations {
 public:
  /// A message that leaves through the link for `to` (a pid of the peer).
  void outgoing(sched::Pid to, const sched::Message& msg);
  /// A message that came through the link for `to` (a local pid).
  void incoming(sched::Pid to, const sched::Message& msg);

  /// What `msg` for `to` would have started, had it crossed: a link or a
  /// monitor to an unreachable node fires at once (the link went down with
  /// the message still waiting to be written). Empty for anything else.
  [[nodiscard]] static std::vector<std::pair<sched::Pid, sched::MessagePtr>> unreachable(sched::Pid to,
                                                                                        const sched::Message& msg);
  /// The answer to a link or a monitor that came through the link for a
  /// local pid that is gone: it fires at once with noproc, as a local link
  /// or monitor does (sched/process.cpp). Empty for anything else.
  [[nodiscard]] static std::vector<std::pair<sched::Pid, sched::MessagePtr>> gone(sched::Pid to,
                                                                                 const sched::Message& msg);

  /// The link is down: the signals and messages to deliver to local pids,
  /// and every relation forgotten.
  [[nodiscard]] std::vector<std::pair<sched::Pid, sched::MessagePtr>> down();

  /// Takes over `other`'s relations (a link that replaced another).
  void merge(LinkRelations&& other);

  [[nodiscard]] std::size_t links() const noexcept { return links_.size(); }
  [[nodiscard]] std::size_t monitors() const noexcept { return watching_.size() + watched_.size(); }

 private:
  std::set<std::pair<sched::Pid, sched::Pid>> links_;  ///< (local, remote)
  /// Local processes watching remote ones: ref -> (local watcher, remote target).
  std::unordered_map<sched::MonitorRef, std::pair<sched::Pid, sched::Pid>> watching_;
  /// Remote processes watching local ones: ref -> local target.
  std::unordered_map<sched::MonitorRef, sched::Pid> watched_;
};

}  // namespace actormq::dist
