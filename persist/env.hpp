#pragma once
// The LMDB environment under data_dir: opened and checked once at start, with
// every named database opened then (LMDB: a DBI handle opened in a committed
// transaction is valid for the life of the environment). Errors name the
// path, so an operator knows which directory to look at.
//
// Thread-safety: for_each() may run on any thread beside the Writer
// (persist/writer.hpp), which alone writes; grow_map() waits for the read
// transactions of for_each() to end (LMDB lmdb.h: mdb_env_set_mapsize only
// while no transaction is active in the process), which is why for_each()
// can end its transaction every so many records.

#include <lmdb.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <variant>

#include "persist/key.hpp"

namespace actormq::persist {

/// The named databases (DESIGN.md, persistence).
enum class Db : std::uint8_t {
  retained,  ///< topic -> StoredMessage
  sessions,  ///< client id -> StoredSession
  queue,     ///< session_key(client id, seq) -> StoredEntry
  inflight,  ///< session_key(client id, 0 | packet id) -> StoredEntry; 1<<32 | id: QoS 2 id awaiting PUBREL
  messages,  ///< body_key(id) -> StoredMessage, shared by queue and in-flight entries
  bridge_out,  ///< session_key(bridge name, seq) -> a message owed to the bridge's remote (bridge/mqtt/out_store.hpp)
};
inline constexpr std::array<std::string_view, 6> db_names{"retained", "sessions", "queue",
                                                          "inflight", "messages", "bridge_out"};

struct EnvOptions {
  std::string path;
  /// Commits reach the disk before they return (durability sync); otherwise
  /// the Writer flushes on its own schedule (MDB_NOSYNC).
  bool sync_commits = true;
  /// Initial map size in bytes; the map grows (doubling) whenever it is full.
  std::size_t initial_map_size = std::size_t{64} << 20;
  /// The digest of keys too long for LMDB (persist/key.hpp); tests replace it.
  KeyDigest key_digest = sha256_digest;
};

class Env {
 public:
  /// Opens (creating the directory and files if needed) and checks the
  /// environment; on failure, a message naming the path.
  static std::variant<std::unique_ptr<Env>, std::string> open(const EnvOptions& options);

  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  [[nodiscard]] MDB_env* handle() const noexcept { return env_; }
  [[nodiscard]] MDB_dbi dbi(Db db) const noexcept { return dbis_[static_cast<std::size_t>(db)]; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// How keys are stored (persist/key.hpp): those longer than LMDB takes under a digest.
  [[nodiscard]] const KeyScheme& keys() const noexcept { return *keys_; }
  /// Stale reader slots cleared at open (readers of processes that died).
  [[nodiscard]] int stale_readers_cleared() const noexcept { return stale_readers_; }

  /// Thread-safe. Calls f(key, value) for every record of `db` in the order
  /// of the stored keys (a record under a digest key, persist/key.hpp, with
  /// its whole key and value); the views are valid during the call only. Stops early when f returns
  /// false. `per_transaction` > 0: a new read transaction every that many
  /// records, so a long scan never holds up a growth of the map for long
  /// (records written meanwhile may then be seen or not); 0: one
  /// transaction, one snapshot. Returns an LMDB error text, or nullopt.
  std::optional<std::string> for_each(Db db, const std::function<bool(std::string_view, std::string_view)>& f,
                                      std::size_t per_transaction = 0) const;

  /// Doubles the map size, once no read transaction of for_each() is open
  /// (the caller has none open). False if LMDB refused.
  bool grow_map();
  [[nodiscard]] std::size_t map_size() const;

 private:
  Env() = default;
  MDB_env* env_ = nullptr;
  std::array<MDB_dbi, db_names.size()> dbis_{};
  std::string path_;
  std::optional<KeyScheme> keys_;  // set by open()
  int lock_fd_ = -1;
  int stale_readers_ = 0;
  // Shared by for_each()'s read transactions, exclusive for grow_map().
  mutable std::shared_mutex resize_;
};

/// LMDB's text for an error code, with the code.
std::string lmdb_error(int rc);

/// An LMDB value's bytes, valid while its transaction lives.
inline std::string_view mdb_view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }
/// `s` as an LMDB value (LMDB only reads a key or a value it is given).
inline MDB_val mdb_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

}  // namespace actormq::persist
