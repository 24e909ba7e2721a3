#pragma once
// A node's evacuation (EMQX's node evacuation; README "Node evacuation"),
// before an upgrade or a decommission: the node takes no new client, sends
// its connected clients away at a bounded rate (v5: DISCONNECT 0x9C with a
// Server Reference; 3.1.1: closed), waits a while for them to come back on
// other nodes (each takes its session with it, as any reconnect does), then
// moves the persistent sessions still here to peer nodes at a rate of its
// own (Channel::evacuate, core/session/evacuate.cpp). It is done when no
// session is left here. One Evacuation per broker (BrokerContext): the
// evacuator process paces it; sessions, the HTTP API and the broker read it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sched/pid.hpp"

namespace actormq::sched {
class Runtime;
}

namespace actormq::core {

class SessionRegistry;

/// What an operator asks for (POST /api/v1/evacuate).
struct EvacuationOrder {
  std::string server_reference;         ///< v5 clients are sent there ("host:port"); empty: none
  std::uint32_t connection_rate = 500;  ///< connections ended per second
  std::uint32_t session_rate = 500;     ///< offline sessions moved per second
  std::uint32_t wait_takeover_ms = 10000;  ///< for clients to take their sessions elsewhere first
  std::vector<std::string> migrate_to;     ///< the peers sessions may move to, by node name; empty: all
};

enum class EvacuationPhase : std::uint8_t {
  idle,         ///< not evacuating
  connections,  ///< ending the connections
  waiting,      ///< for their clients to take their sessions to other nodes
  sessions,     ///< moving the sessions left here to peers
  done,         ///< no session left: the node may stop
};

[[nodiscard]] std::string_view phase_name(EvacuationPhase phase);

/// The evacuator to a session: end the connection (`connection`), or ask
/// `adopter` (a peer's cluster agent) to take this offline session. The
/// session answers `from` (EvacuateAnswer).
struct Evacuate {
  sched::Pid from;
  bool connection = true;
  sched::Pid adopter;  ///< sessions only
  std::shared_ptr<const std::string> server_reference;  ///< null: none
};

/// `counted`: a connection ended, or a move was asked for (what the rates
/// limit); false: nothing to do for this session.
struct EvacuateAnswer {
  bool counted = false;
};

struct EvacuationStatus {
  EvacuationPhase phase = EvacuationPhase::idle;
  EvacuationOrder order;
  std::uint64_t started_ms = 0;      ///< wall time
  std::uint64_t disconnected = 0;    ///< connections ended
  std::uint64_t moves_asked = 0;     ///< adoption requests sent to peers
  std::uint64_t sessions_left = 0;   ///< sessions (connected or not) still here
  std::uint64_t peers = 0;           ///< nodes sessions can move to (last pass)
};

/// Thread-safe.
class Evacuation {
 public:
  /// Starts evacuating with `order` (again, with a new order, if under
  /// way): spawns the evacuator, which walks `registry`'s sessions.
  void start(sched::Runtime& runtime, const SessionRegistry& registry, EvacuationOrder order);
  /// Stops evacuating: new clients are accepted again. Sessions moved stay where they went.
  void cancel(sched::Runtime& runtime);
  [[nodiscard]] EvacuationStatus status(const SessionRegistry& registry) const;
  /// Evacuating: a CONNECT is refused, v5 with this Server Reference (empty: none).
  [[nodiscard]] std::optional<std::string> refusal() const;

  // ---- the evacuator's ----
  void set_phase(EvacuationPhase phase) { phase_.store(phase, std::memory_order_relaxed); }
  void count(bool connection) {
    (connection ? disconnected_ : moves_asked_).fetch_add(1, std::memory_order_relaxed);
  }
  void set_peers(std::size_t n) { peers_.store(n, std::memory_order_relaxed); }

 private:
  std::atomic<bool> active_{false};
  std::atomic<EvacuationPhase> phase_{EvacuationPhase::idle};
  std::atomic<std::uint64_t> disconnected_{0};
  std::atomic<std::uint64_t> moves_asked_{0};
  std::atomic<std::uint64_t> peers_{0};
  mutable std::mutex mu_;  ///< the order and the evacuator
  EvacuationOrder order_;
  std::uint64_t started_ms_ = 0;
  sched::Pid evacuator_;
};

}  // namespace actormq::core
