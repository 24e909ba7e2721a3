#pragma once
// The cluster's client directory (core/client_directory.hpp): which session
// holds each client id on the other nodes, as their agents announce it
// (ClusterClients), for a CONNECT here to take a session over from there;
// and the claims and releases of this node's registry, passed to this
// node's agent (ClientClaimed, ClientReleased) to announce.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/cluster/packed_claim.hpp"
#include "bridge/cluster/session_move_proto_v1.hpp"
#include "core/client_directory.hpp"
#include "core/flat_rows.hpp"
#include "core/siphash.hpp"
#include "sched/pid.hpp"

namespace actormq::sched {
class Runtime;
}

namespace actormq::cluster {

/// This node's registry claimed `client_id` for `session` (to the agent).
struct ClientClaimed {
  ClientRow row;
};
/// This node's registry let `client_id` go (to the agent).
struct ClientReleased {
  std::string client_id;
  sched::Pid session;
};

/// Thread-safe.
class ClusterDirectory final : public core::ClientDirectory {
 public:
  explicit ClusterDirectory(sched::Runtime& runtime) : runtime_(runtime) {}

  /// Before the registry is told of the directory.
  void set_agent(sched::Pid agent) { agent_ = agent; }

  void claimed(const std::string& client_id, sched::Pid pid, bool connected) override;
  void released(const std::string& client_id, sched::Pid pid) override;
  [[nodiscard]] std::optional<sched::Pid> find_remote(std::string_view client_id,
                                                      sched::Pid except = {}) const override;
  [[nodiscard]] sched::Pid releaser() const override { return agent_; }
  [[nodiscard]] std::vector<core::Adopter> adopters() const override;
  /// The agent's: the peers' agents, where evacuated sessions may move.
  void set_adopters(std::vector<core::Adopter> agents);

  // ---- the agent's side: the rows of node `node` ----
  void reset_node(std::uint16_t node, const std::vector<ClientRow>& rows);
  void add(std::uint16_t node, const ClientRow& row);
  void remove(std::uint16_t node, const ClientRow& row);
  void drop_node(std::uint16_t node);
  [[nodiscard]] std::size_t size() const;

 private:
  /// One node's claims of client ids, keyed by the id's hash (the id itself
  /// is not kept: a cluster holds a row per peer per connection, and memory
  /// counts); a table per node, so that a claim leaves out the node.
  struct NodeClaims {
    std::uint16_t node = 0;
    core::FlatRows<PackedClaim> rows;
  };
  [[nodiscard]] core::Hash128 key(std::string_view client_id) const noexcept {
    return core::siphash128(sip_key_, client_id);
  }
  /// The table of `node`, or end.
  std::vector<NodeClaims>::iterator find_table(std::uint16_t node);
  /// The table of `node`, made if it has none.
  NodeClaims& table(std::uint16_t node);
  /// Some node's table but `except`'s has a row of `key`.
  [[nodiscard]] bool elsewhere(const core::Hash128& key, const NodeClaims* except) const;
  /// Adds a row, counting its id if it is the id's first.
  void insert_locked(NodeClaims& t, const core::Hash128& key, const ClientRow& row);
  /// Removes the rows of `key` that `pred` picks, uncounting an id left with none.
  template <class P>
  void erase_locked(NodeClaims& t, const core::Hash128& key, P&& pred);

  sched::Runtime& runtime_;
  sched::Pid agent_;
  const core::SipKey sip_key_ = core::SipKey::random();
  mutable std::mutex mutex_;
  /// The node(s) holding each client id (more than one only while a move
  /// or a healed partition settles), and how many ids.
  std::vector<NodeClaims> nodes_;
  std::size_t ids_ = 0;
  std::vector<core::Adopter> adopters_;
};

/// (claimed_ms, node) of `a` is before that of `b`: the rule every node
/// applies alike to keep the later connection of a client id.
[[nodiscard]] bool earlier(const ClientRow& a, const ClientRow& b);

}  // namespace actormq::cluster
