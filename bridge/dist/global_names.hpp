#pragma once
// The cluster's global names (Erlang's global): a name that any node resolves
// to one process of any node. Each node is the authority for the names its own
// processes hold (its claims) and tells its peers of them (names_frame.hpp);
// every node keeps the claims of all its peers, and a name resolves to the
// claim that precedes the others.
//
// Conflict rule. Two nodes may give one name to two processes: they were not
// linked when they did (a partition, or a race with the frames in flight).
// Every node sees the same claims, so every node picks the same holder: the
// claim registered first (registration time, Unix ms, as its node's clock
// says), then, in the same millisecond, the one whose node name sorts first,
// then the lower pid. The node whose claim loses withdraws it (tells its
// peers) and sends its process a GlobalNameLost message; the process decides
// what to do (step down, register another name, end).
//
// Not thread-safe: the node (node.hpp) serialises every call.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/dist/handshake.hpp"
#include "bridge/dist/names_frame.hpp"
#include "sched/pid.hpp"

namespace actormq::dist {

/// What a process gets when its global name went to another process.
struct GlobalNameLost {
  std::string name;
  sched::Pid winner;
};

class GlobalNames {
 public:
  /// A claim: who holds a name, since when, on which node.
  struct Claim {
    sched::Pid pid;
    std::uint64_t at_ms = 0;
    std::string node_name;
  };
  /// True if `a` keeps the name against `b` (the conflict rule above).
  [[nodiscard]] static bool precedes(const Claim& a, const Claim& b);

  /// A local claim that lost to a peer's.
  struct Lost {
    std::string name;
    sched::Pid loser;
    sched::Pid winner;
  };
  /// What a peer's frame changed here.
  struct Applied {
    std::vector<Lost> lost;                ///< local claims withdrawn
    std::optional<NamesFrame> withdrawal;  ///< to send to every peer, if any were
  };

  explicit GlobalNames(NodeInfo self) : self_(std::move(self)) {}

  /// The process that holds `name`, or the null pid.
  [[nodiscard]] sched::Pid whereis(const std::string& name) const;
  /// Every name with its holder, sorted by name.
  [[nodiscard]] std::vector<std::pair<std::string, sched::Pid>> all() const;

  // ---- this node's claims: each returns the frame for every peer ----

  /// Gives `name` to the local process `pid`. Nothing (refused) if some
  /// process holds the name already, the name is empty or too long, `pid`
  /// is not of this node, or this node's processes hold max_global_names.
  [[nodiscard]] std::optional<NamesFrame> claim(const std::string& name, sched::Pid pid, std::uint64_t at_ms);
  /// Takes `name` back from the local process that holds it; nothing if none does.
  [[nodiscard]] std::optional<NamesFrame> release(const std::string& name);
  /// Takes back every name `pid` holds (it ended); nothing if it held none.
  [[nodiscard]] std::optional<NamesFrame> release_all(sched::Pid pid);
  /// All of this node's claims, for a link that comes up.
  [[nodiscard]] NamesFrame snapshot() const;

  // ---- peers' claims ----

  /// Applies a frame of `peer` (the incarnation it came from). A frame from
  /// another incarnation of the peer first drops the old one's claims; a
  /// stale frame changes nothing. Refused (nothing changed): a claim of a pid
  /// that is not the peer's.
  [[nodiscard]] Result<Applied> apply(const NodeInfo& peer, const NamesFrame& frame);
  /// The peer is gone: its claims go with it.
  void drop_node(std::uint16_t node_id);

 private:
  struct Holder {
    Claim claim;
    std::uint16_t node = 0;
  };
  struct PeerVersion {
    std::uint32_t incarnation = 0;
    std::uint64_t version = 0;
  };
  [[nodiscard]] const Holder* winner(const std::string& name) const;
  void remove(const std::string& name, std::uint16_t node);
  [[nodiscard]] NamesFrame change(NamesOp op, std::vector<NameEntry> entries);

  NodeInfo self_;
  std::unordered_map<std::string, std::vector<Holder>> holders_;
  std::unordered_map<std::uint16_t, PeerVersion> peer_versions_;
  std::size_t own_ = 0;        ///< names this node's processes hold
  std::uint64_t version_ = 0;  ///< changes to this node's claims so far
};

}  // namespace actormq::dist
