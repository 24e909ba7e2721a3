#pragma once
// The start-up restore of the persistent sessions from the store, with their
// subscriptions, queues and in-flight messages, before the listeners open.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/session/session_state.hpp"
#include "mqtt/packets.hpp"
#include "persist/env.hpp"
#include "persist/writer.hpp"

namespace actormq::core {

/// A persistent session as read back at start.
struct RestoredSession {
  std::string client_id;
  mqtt::ProtocolVersion version = mqtt::ProtocolVersion::v3_1_1;
  std::uint32_t session_expiry_s = 0;  ///< what is left of it, seconds
  SessionState state;  ///< with the will of a client that went away without DISCONNECT
  std::optional<std::string> username;  ///< none: anonymous (or stored before usernames were)
  std::uint16_t listener_index = 0;     ///< the listener whose rules apply
};

/// What is read back from the store before the listeners open.
struct StoreContents {
  std::vector<RestoredSession> sessions;
  std::size_t expired_sessions = 0;
  std::size_t dropped_entries = 0;  ///< queue entries whose body was missing
};

/// Reads every database but `retained`; removes (through `writer`) what has
/// expired and bodies no entry refers to. Fails, naming the database and key, on a
/// record it cannot read: a corrupt store stops the start, it is never
/// silently replaced by an empty one.
[[nodiscard]] Result<StoreContents> restore(const persist::Env& env, persist::Writer& writer, std::uint64_t now_ms);

}  // namespace actormq::core
