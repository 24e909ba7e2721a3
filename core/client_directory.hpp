#pragma once
// The client ids of the other nodes of a cluster, as this node's session
// registry sees them (DESIGN.md "The cluster broker": one client id, one
// session, cluster-wide). core/ only declares it; the cluster broker
// (bridge/cluster/) implements it, and the session registry tells it of
// every claim and release so that it can tell the other nodes.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sched/pid.hpp"

namespace actormq::core {

/// A peer node that takes evacuated sessions (AdoptRequest): its name and its agent.
struct Adopter {
  std::string node;
  sched::Pid agent;
};

/// Thread-safe: called by sessions on every scheduler, under the registry's
/// shard lock for claimed/released (so they arrive in the registry's order).
class ClientDirectory {
 public:
  /// `pid` holds `client_id` on this node now: for a connection (`connected`),
  /// or as an offline session restored from the store or after a crash,
  /// which a connection on another node always wins against.
  virtual void claimed(const std::string& client_id, sched::Pid pid, bool connected) = 0;
  /// `pid` holds it no more.
  virtual void released(const std::string& client_id, sched::Pid pid) = 0;
  /// The session that holds `client_id` on another node (the latest
  /// connection if several do), other than `except`, if any is known.
  [[nodiscard]] virtual std::optional<sched::Pid> find_remote(std::string_view client_id,
                                                              sched::Pid except = {}) const = 0;
  /// The process a session asks to release its previous session on another
  /// node (core::HandoverRelease) once every node routes to it.
  [[nodiscard]] virtual sched::Pid releaser() const = 0;
  /// Where an evacuated session may move (core/evacuation.hpp): the agents
  /// of the peer nodes that take sessions (AdoptRequest); none: nowhere.
  [[nodiscard]] virtual std::vector<Adopter> adopters() const = 0;

 protected:
  ~ClientDirectory() = default;
};

}  // namespace actormq::core
