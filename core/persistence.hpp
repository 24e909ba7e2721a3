#pragma once
// Between the broker's types and persist/'s records: what a retained message,
// a queue entry or a session looks like on disk, and the start-up restore of
// the persistent sessions with their queues and in-flight messages (the
// retained messages load in the background: core/retained_load.hpp).

#include <cstdint>
#include <memory>
#include <optional>
#include <variant>
#include <string>
#include <vector>

#include "core/messages.hpp"
#include "core/session_state.hpp"
#include "mqtt/packets.hpp"
#include "persist/env.hpp"
#include "persist/record.hpp"
#include "persist/writer.hpp"

namespace actormq::core {

[[nodiscard]] persist::StoredMessage to_stored(const AppMessage& msg);
/// `body_id` != 0: the message is that stored body.
[[nodiscard]] AppMessagePtr from_stored(persist::StoredMessage&& stored, persist::Writer* writer,
                                        std::uint64_t body_id = 0);
[[nodiscard]] persist::StoredEntry to_entry(const Deliver& d, std::uint64_t body_id);

/// The writes that store `d` under `key` in `db`: its body first if no
/// session stored it yet, then the entry referring to it.
[[nodiscard]] std::vector<persist::Op> store_delivery_ops(persist::Db db, std::string key, const Deliver& d,
                                                          std::uint64_t seq, bool released);

/// In Db::inflight, the key number of an incoming QoS 2 packet id awaiting PUBREL
/// (outgoing in-flight messages use the packet id itself).
inline constexpr std::uint64_t awaiting_rel_key(std::uint16_t packet_id) {
  return (std::uint64_t{1} << 32) | packet_id;
}

/// A persistent session as read back at start.
struct RestoredSession {
  std::string client_id;
  mqtt::ProtocolVersion version = mqtt::ProtocolVersion::v3_1_1;
  std::uint32_t session_expiry_s = 0;  ///< what is left of it, seconds
  SessionState state;
  std::optional<mqtt::Will> will;
  std::uint32_t will_delay_s = 0;
  std::optional<std::string> username;  ///< none: anonymous (or stored before usernames were)
  std::uint16_t listener_index = 0;     ///< the listener whose rules apply
};

/// What is read back from the store before the listeners open.
struct StoreContents {
  std::vector<RestoredSession> sessions;
  std::size_t expired_sessions = 0;
  std::size_t dropped_entries = 0;  ///< queue entries whose body was missing
};

/// A stored key as an operator can read it in a log line.
[[nodiscard]] std::string printable_key(std::string_view key);

/// Reads every database but `retained`; removes (through `writer`) what has
/// expired and bodies no entry refers to. Fails, naming the database and key, on a
/// record it cannot read: a corrupt store stops the start, it is never
/// silently replaced by an empty one.
[[nodiscard]] std::variant<StoreContents, std::string> restore(const persist::Env& env, persist::Writer& writer,
                                                          std::uint64_t now_ms);

}  // namespace actormq::core
