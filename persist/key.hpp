#pragma once
// How a record's key is stored. LMDB takes keys of at most
// mdb_env_get_maxkeysize() bytes (511 in a default build), while a topic name
// or a client id may have 65535. A key that fits is stored as it is, so every
// store written before long keys were possible reads the same. A longer one
// is stored under a digest key:
//   a 0 byte (no topic name or client id holds U+0000, MQTT 1.5.4-2, so no
//   plain key of these databases starts with one), the SHA-256 of the key, or
//   in `queue` and `inflight` of its client id followed by the rest of the
//   key (0 and the 8-byte number: one session's entries stay together and in
//   order, and session_prefix() still finds them all);
// and its value is an envelope that keeps the whole key:
//   format byte 1, key length (4 bytes, big endian), key, value.
// Env::for_each hands readers the whole key and the value, as for a plain
// record. The Writer compares the key in the envelope before it replaces or
// erases a record, so two keys with one digest never take each other's
// record: the second is refused (key_collision) and the first stays.
// `messages` is keyed by 8-byte body ids, always plain (they may start with 0).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <lmdb.h>

namespace actormq::persist {

enum class Db : std::uint8_t;

/// The digest of a long key (SHA-256, 32 bytes); replaceable in tests to
/// make keys collide.
using KeyDigest = std::function<std::string(std::string_view)>;
/// SHA-256 (mbedTLS). Thread-safe.
[[nodiscard]] std::string sha256_digest(std::string_view data);

/// The error of a write whose digest key holds another key's record.
inline constexpr int key_collision = MDB_KEYEXIST;

/// Immutable once built: thread-safe if the digest is.
class KeyScheme {
 public:
  explicit KeyScheme(std::size_t max_key_size, KeyDigest digest = sha256_digest);

  /// A key as LMDB stores it; `digest`: a digest key, whose value is an envelope.
  struct Stored {
    std::string key;
    bool digest = false;
  };
  /// How `key` (a whole key of `db`, as an Op carries it) is stored.
  [[nodiscard]] Stored stored_key(Db db, std::string_view key) const;
  /// How the keys of `db` that start with `prefix` (a session_prefix() in
  /// `queue` or `inflight`; in other databases, a prefix of plain keys) are
  /// stored: all under the returned prefix (a digest one may hold other
  /// client ids' entries too, told apart by their envelopes).
  [[nodiscard]] Stored stored_prefix(Db db, std::string_view prefix) const;

  [[nodiscard]] std::size_t max_key_size() const noexcept { return max_key_size_; }

 private:
  [[nodiscard]] std::string digest_key(std::string_view hashed, std::string_view rest) const;

  std::size_t max_key_size_;
  KeyDigest digest_;
};

/// True when `stored_key` of `db` is a digest key (its value an envelope).
[[nodiscard]] bool is_digest_key(Db db, std::string_view stored_key) noexcept;

/// The envelope of a record stored under a digest key.
[[nodiscard]] std::string wrap(std::string_view key, std::string_view value);
struct Unwrapped {
  std::string_view key;
  std::string_view value;
};
/// The whole key and the value of an envelope; nullopt if malformed.
[[nodiscard]] std::optional<Unwrapped> unwrap(std::string_view envelope) noexcept;

}  // namespace actormq::persist
