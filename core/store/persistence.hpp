#pragma once
// Between the broker's messages and persist/'s records: what a retained
// message or a queue entry looks like on disk. The sessions are read back by
// core/session/restore.hpp, the retained messages by core/routing/retained_load.hpp.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/messages.hpp"
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
/// A will as stored: its Will Delay Interval apart (not a PUBLISH property).
[[nodiscard]] persist::StoredWill to_stored(const mqtt::Will& will, std::string publisher);
[[nodiscard]] mqtt::Will from_stored(persist::StoredWill&& stored);

/// `msg` tied to `writer`, for a message that did not come from a client of
/// this broker (another node's, read from a node link or a session state
/// that moved here): its body can then be stored, as store_delivery_ops
/// needs. Before the message is shared: one held by others is copied.
[[nodiscard]] AppMessagePtr attach_to_store(AppMessagePtr msg, persist::Writer* writer);

/// The writes that store `d` under `key` in `db`: its body first if no
/// session stored it yet, then the entry referring to it.
[[nodiscard]] std::vector<persist::Op> store_delivery_ops(persist::Db db, std::string key, const Deliver& d,
                                                          std::uint64_t seq, bool released);

/// In Db::inflight, the key number of an incoming QoS 2 packet id awaiting PUBREL
/// (outgoing in-flight messages use the packet id itself).
inline constexpr std::uint64_t awaiting_rel_key(std::uint16_t packet_id) {
  return (std::uint64_t{1} << 32) | packet_id;
}

/// A stored key as an operator can read it in a log line.
[[nodiscard]] std::string printable_key(std::string_view key);

}  // namespace actormq::core
