#pragma once
// A bridge's messages for its remote in the LMDB store (Db::bridge_out), so
// that an outage of the remote or a restart of this broker loses none: a
// QoS 1/2 message is written when the bridge takes it (with the publisher's
// durability-sync hold: its PUBACK then means the message is stored),
// marked when a QoS 2 one is released (PUBREC), and erased when the remote
// acknowledges it or the bound drops it. At start the bridge reads its
// records back, in order, and numbers new messages after them.
//
// Key: persist::session_key(bridge name, seq) (names are short and hold no
// 0 byte, so one bridge's records are adjacent and in order). Value: a
// format byte, the released flag, then persist/fields.hpp's message fields
// (the topic already mapped to the remote's; received_ms, whence a message
// expiry counts, also across a restart; 0 in records of before it was kept).
//
// Owner-only: used by the bridge's process alone.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/mqtt/outbox.hpp"
#include "persist/env.hpp"
#include "persist/hold.hpp"
#include "persist/writer.hpp"

namespace actormq::bridge {

/// The record of `msg`, and back (nullopt: malformed).
[[nodiscard]] std::string encode_out_record(const OutMessage& msg);
[[nodiscard]] std::optional<OutMessage> decode_out_record(std::string_view bytes);

/// The number of stored records of each bridge name (including names no
/// bridge has any more: they keep their records); nullopt: unreadable.
[[nodiscard]] std::optional<std::map<std::string, std::size_t>> count_out_records(const persist::Env& env);

class OutStore {
 public:
  /// `writer` or `env` null: memory only, nothing is stored.
  OutStore(persist::Writer* writer, const persist::Env* env, std::string bridge);

  [[nodiscard]] bool enabled() const noexcept { return writer_ != nullptr && env_ != nullptr; }

  struct Loaded {
    std::vector<OutMessage> messages;  ///< oldest first, stored, numbered
    std::size_t malformed = 0;         ///< records that could not be read (erased)
    std::optional<std::string> error;  ///< the store could not be read
  };
  /// The bridge's records; new messages are numbered after the last.
  [[nodiscard]] Loaded load();

  // The writes below are gathered and go to the writer in one submit (one
  // lock of its queue for a whole run of messages) at flush(), which the
  // bridge calls before it writes to the socket: no message reaches the
  // remote before its record is on its way to the store.

  /// Numbers `msg`; a QoS 1/2 one is written (`hold` released once it is
  /// committed: then what was gathered is submitted at once) and marked stored.
  void put(OutMessage& msg, persist::HoldPtr hold);
  /// A stored QoS 2 message is released: its record says so.
  void released(const OutMessage& msg);
  /// Erases the records of these seqs.
  void erase(const std::vector<std::uint64_t>& seqs);
  /// Submits what was gathered, in order, in one transaction.
  void flush();
  /// As flush(), and `hold` is released once everything this store (any
  /// OutStore of the writer, whose commits keep the order of submits)
  /// submitted before is committed. Without a store it is released at once.
  void commit(persist::HoldPtr hold);
  /// New messages are numbered after `seq` (messages owed by a predecessor
  /// that kept no store: their packet ids stay theirs).
  void number_after(std::uint64_t seq) noexcept { next_seq_ = std::max(next_seq_, seq + 1); }

 private:
  persist::Writer* writer_;
  const persist::Env* env_;
  std::string bridge_;
  std::uint64_t next_seq_ = 1;
  std::vector<persist::Op> gathered_;
};

}  // namespace actormq::bridge
