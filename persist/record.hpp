#pragma once
// The byte layouts of what persist/ stores: application messages (bodies and
// retained messages), queue and in-flight entries, and session records. Each
// record starts with a format version byte; integers are big endian; strings
// and byte strings carry a 4-byte length. Decoding checks every bound and
// returns nullopt for a malformed record: a corrupt store is reported, never
// read past its end.
//
// Keys: a session's queue and in-flight entries are keyed by client id, a 0
// byte (MQTT 1.5.4-2: a client id holds no U+0000) and a big-endian number,
// so that one session's entries are adjacent and in order. Keys too long for
// LMDB are stored under a digest (persist/key.hpp), seen whole by readers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/bytes.hpp"
#include "mqtt/constants.hpp"
#include "mqtt/properties.hpp"

namespace actormq::persist {

/// An application message as stored: in `messages` (a body shared by every
/// queue that holds it) and in `retained`.
struct StoredMessage {
  std::string topic;
  mqtt::SharedBytes payload;
  mqtt::QoS qos = mqtt::QoS::at_most_once;
  bool retain = false;
  mqtt::Properties properties;  ///< PUBLISH properties passed through (v5)
  std::string publisher;        ///< client id of the publisher
  std::uint64_t received_ms = 0;  ///< wall clock ms at arrival (message expiry)
  friend bool operator==(const StoredMessage&, const StoredMessage&) = default;
};

/// One message of a session, in its queue or in flight, referring to a body.
struct StoredEntry {
  std::uint64_t body_id = 0;  ///< key in `messages`
  mqtt::QoS qos = mqtt::QoS::at_most_once;  ///< QoS to send
  bool retain = false;                      ///< RETAIN flag to send
  bool released = false;  ///< in flight, QoS 2: PUBREC received, PUBREL sent
  std::uint64_t seq = 0;  ///< in flight: send order, for resending in order
  std::vector<std::uint32_t> subscription_ids;
  friend bool operator==(const StoredEntry&, const StoredEntry&) = default;
};

struct StoredSubscription {
  std::string full_filter;  ///< as subscribed, with any $share/group/ prefix
  std::string filter;       ///< without the prefix
  std::string group;        ///< shared subscription group, or empty
  mqtt::QoS max_qos = mqtt::QoS::at_most_once;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint32_t subscription_id = 0;
  friend bool operator==(const StoredSubscription&, const StoredSubscription&) = default;
};

struct StoredWill {
  StoredMessage message;
  std::uint32_t delay_s = 0;  ///< v5 Will Delay Interval
  friend bool operator==(const StoredWill&, const StoredWill&) = default;
};

/// A persistent session (`sessions`, keyed by client id).
struct StoredSession {
  std::uint8_t protocol_version = 4;  ///< CONNECT protocol level: 3, 4 or 5
  std::uint32_t session_expiry_s = 0;  ///< 0xFFFFFFFF: never
  /// Wall clock ms when the client went away; 0 while connected (the expiry
  /// then starts at the next start of the broker).
  std::uint64_t disconnected_ms = 0;
  std::uint16_t last_packet_id = 0;
  std::vector<StoredSubscription> subscriptions;
  std::optional<StoredWill> will;
  /// Whose rules apply to the restored session (its will, what it queues):
  /// the authenticated username (none: anonymous) and the index of the
  /// listener it connected through. Format 1 records had neither: they read
  /// back as anonymous on the first listener.
  std::optional<std::string> username;
  std::uint16_t listener_index = 0;
  friend bool operator==(const StoredSession&, const StoredSession&) = default;
};

[[nodiscard]] std::string encode(const StoredMessage& m);
[[nodiscard]] std::string encode(const StoredEntry& e);
[[nodiscard]] std::string encode(const StoredSession& s);
[[nodiscard]] std::optional<StoredMessage> decode_message(std::string_view bytes);
[[nodiscard]] std::optional<StoredEntry> decode_entry(std::string_view bytes);
[[nodiscard]] std::optional<StoredSession> decode_session(std::string_view bytes);

/// client id, 0, then `n` as 8 big-endian bytes.
[[nodiscard]] std::string session_key(std::string_view client_id, std::uint64_t n);
/// The prefix shared by every session_key() of `client_id`.
[[nodiscard]] std::string session_prefix(std::string_view client_id);
/// Splits a session_key(); nullopt if malformed.
struct SessionKey {
  std::string client_id;
  std::uint64_t n = 0;
};
[[nodiscard]] std::optional<SessionKey> parse_session_key(std::string_view key);

/// 8 big-endian bytes: the key of a body in `messages`.
[[nodiscard]] std::string body_key(std::uint64_t id);
[[nodiscard]] std::optional<std::uint64_t> parse_body_key(std::string_view key);

}  // namespace actormq::persist
