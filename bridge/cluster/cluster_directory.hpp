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
#include <unordered_map>
#include <vector>

#include "bridge/cluster/session_move_proto_v1.hpp"
#include "core/client_directory.hpp"
#include "core/small_vector.hpp"
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
  /// One node's claim of a client id; the id itself is the map's key, held
  /// once (a cluster holds a row per peer per connection: memory counts).
  struct Held {
    sched::Pid session;
    std::uint64_t claimed_ms;
    std::uint16_t node;
  };
  static Held held(std::uint16_t node, const ClientRow& row) { return Held{row.session, row.claimed_ms, node}; }
  void remove_locked(std::uint16_t node, const std::string& client_id);

  sched::Runtime& runtime_;
  sched::Pid agent_;
  mutable std::mutex mutex_;
  /// By client id: the node(s) holding it (more than one only while a move
  /// or a healed partition settles; the one is held inline).
  struct Hash {
    using is_transparent = void;
    // noexcept: the node then caches no hash (8 bytes); rehashing recomputes it.
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, core::SmallVector<Held>, Hash, std::equal_to<>> remote_;
  std::vector<core::Adopter> adopters_;
};

/// (claimed_ms, node) of `a` is before that of `b`: the rule every node
/// applies alike to keep the later connection of a client id.
[[nodiscard]] bool earlier(const ClientRow& a, const ClientRow& b);

}  // namespace actormq::cluster
