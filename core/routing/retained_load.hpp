#pragma once
// The retained messages of the store, read back in the background: at start
// the listeners open once the (small) sessions are restored, while a loader
// thread reads database `retained` into an index of its own and hands it to
// the retainer process in one message. The retainer holds retained lookups
// until then and lets what clients stored meanwhile win over what was read
// (core/routing/retainer.hpp).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/messages.hpp"
#include "core/result.hpp"
#include "core/routing/retained_index.hpp"
#include "persist/env.hpp"
#include "persist/writer.hpp"
#include "sched/pid.hpp"

namespace actormq::sched {
class Runtime;
}

namespace actormq::core {

/// What the loader read from database `retained`.
struct LoadedRetained {
  RetainedIndex<AppMessagePtr> index;  ///< every message not yet expired
  /// (wall ms, topic) of each message in `index` that has a message expiry.
  std::vector<std::pair<std::uint64_t, std::string>> expiries;
  /// Topics whose message had expired: erased from the store by the retainer
  /// (unless stored again meanwhile), in the order of its other writes.
  std::vector<std::string> expired;
};

/// Loader -> retainer: the load is over.
struct RetainedLoaded {
  std::unique_ptr<LoadedRetained> loaded;  ///< nullptr: the store could not be read
  std::chrono::steady_clock::time_point started;
};

/// Reads every record of database `retained` (messages tied to `writer`, so
/// they can be queued for persistent sessions). Stops early, with an empty
/// result, once `cancel` is set. Fails naming the database and key on a
/// record it cannot read. Thread-safe (Env::for_each).
[[nodiscard]] Result<LoadedRetained> read_retained(const persist::Env& env, persist::Writer* writer,
                                                   std::uint64_t now_ms, const std::atomic<bool>& cancel);

struct RetainedLoaderOptions {
  /// Called on the loader thread when the store cannot be read (the broker
  /// then cannot run: a store is never silently taken for an empty one).
  std::function<void(const std::string&)> on_error;
  /// Test-only: waits this long after reading (and says so in the log),
  /// before the hand-over, so tests can act surely between the two.
  std::chrono::milliseconds hold_back{0};
};

/// The loader thread: reads the retained messages, then sends the retainer
/// one RetainedLoaded. The thread is ended (cancelled, joined) with the
/// object, which must go before the runtime, `env` and `writer`.
class RetainedLoader {
 public:
  RetainedLoader(sched::Runtime& runtime, const persist::Env& env, persist::Writer* writer, sched::Pid retainer,
                 RetainedLoaderOptions options);
  ~RetainedLoader();
  RetainedLoader(const RetainedLoader&) = delete;
  RetainedLoader& operator=(const RetainedLoader&) = delete;

 private:
  void run(sched::Runtime& runtime, const persist::Env& env, persist::Writer* writer, sched::Pid retainer);

  RetainedLoaderOptions options_;
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

}  // namespace actormq::core
