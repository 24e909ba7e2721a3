#pragma once
// Client id -> session process, for takeover (a second CONNECT with the same
// client id) and for counting clients. Read on every CONNECT only.

#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/client_directory.hpp"
#include "core/client_id.hpp"
#include "sched/pid.hpp"

namespace actormq::core {

/// Thread-safe. Sharded so that connect storms on several schedulers rarely
/// meet on one lock.
class SessionRegistry {
 public:
  /// Makes `pid` the session of `client_id`; returns the session it replaces.
  /// `connected`: for a CONNECT (not an offline session carried over). The
  /// entry shares `client_id` with the session: no copy of the characters.
  std::optional<sched::Pid> claim(const ClientId& client_id, sched::Pid pid, bool connected = true);
  /// Removes the entry if it still names `pid` (a newer session may own it).
  bool release(std::string_view client_id, sched::Pid pid);
  std::optional<sched::Pid> find(std::string_view client_id) const;
  std::size_t size() const;
  /// Every entry, sorted by client id (a stable order to page through);
  /// each shard is locked in turn, so entries that change meanwhile may be
  /// missed or seen in their old state.
  std::vector<std::pair<std::string, sched::Pid>> snapshot() const;
  /// Every later claim and release is told to `directory` (the cluster's;
  /// null: none), in the order they take effect per client id.
  void set_directory(ClientDirectory* directory) { directory_.store(directory, std::memory_order_release); }
  [[nodiscard]] ClientDirectory* directory() const { return directory_.load(std::memory_order_acquire); }

 private:
  /// A set's node holds the id's pointer and the pid, 24 bytes (a map of
  /// std::string held 56). Lookups by string_view.
  struct Entry {
    // Mutable: a claim over an existing entry takes the claimant's copy of
    // the (equal) id, so the one it replaces can be freed; and its pid.
    mutable ClientId id;
    mutable sched::Pid pid;
  };
  struct Hash {
    using is_transparent = void;
    // noexcept: the node then caches no hash (8 bytes); rehashing recomputes it.
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    std::size_t operator()(const Entry& e) const noexcept { return (*this)(e.id.view()); }
  };
  struct Equal {
    using is_transparent = void;
    bool operator()(const Entry& a, const Entry& b) const noexcept { return a.id.view() == b.id.view(); }
    bool operator()(std::string_view a, const Entry& b) const noexcept { return a == b.id.view(); }
    bool operator()(const Entry& a, std::string_view b) const noexcept { return a.id.view() == b; }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_set<Entry, Hash, Equal> sessions;
  };
  static constexpr std::size_t shard_count = 16;
  Shard& shard(std::string_view client_id) const {
    return shards_[Hash{}(client_id) % shard_count];
  }
  mutable std::array<Shard, shard_count> shards_;
  std::atomic<ClientDirectory*> directory_{nullptr};
};

}  // namespace actormq::core
