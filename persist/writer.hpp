#pragma once
// The persistence process: every write to the store goes through one Writer,
// which groups them into LMDB write transactions (one commit per
// commit_interval_ms or commit_max_ops, whichever comes first; at once under
// durability sync). It runs on its own thread, like a BEAM dirty scheduler:
// a commit that waits for the disk never holds up a scheduler.
//
// A write may carry a `hold`: any object, released only once the commit
// that contains the write is on disk (durability sync) or committed (batch).
// The broker gates acknowledgements on it (core/persistence.hpp).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "persist/env.hpp"

namespace actormq::persist {

/// One change to the store.
struct Op {
  enum class Kind : std::uint8_t {
    put,           ///< key -> value
    erase,         ///< key (absent: nothing to do)
    erase_prefix,  ///< every key starting with `key`
  };
  Kind kind = Kind::put;
  Db db = Db::retained;
  std::string key;
  std::string value;

  static Op put(Db db, std::string key, std::string value) {
    return Op{Kind::put, db, std::move(key), std::move(value)};
  }
  static Op erase(Db db, std::string key) { return Op{Kind::erase, db, std::move(key), {}}; }
  static Op erase_prefix(Db db, std::string prefix) { return Op{Kind::erase_prefix, db, std::move(prefix), {}}; }
};

struct WriterOptions {
  /// Commit at once and flush to disk on every commit (durability sync);
  /// otherwise group by the two limits below and flush at most once a second.
  bool sync = false;
  std::chrono::milliseconds commit_interval{50};
  std::size_t commit_max_ops = 1000;
  /// Called on the writer thread when a commit fails (other than a full map,
  /// which grows): the failed batch is dropped.
  std::function<void(const std::string&)> on_error;
};

class Writer {
 public:
  /// Starts the writer thread. `env` must outlive the Writer.
  Writer(Env& env, WriterOptions options);
  /// stop().
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// Thread-safe. Queues `ops` (applied in order, in one transaction) and
  /// releases `hold` once they are committed.
  void submit(std::vector<Op> ops, std::shared_ptr<void> hold = {});
  void submit(Op op, std::shared_ptr<void> hold = {});
  /// Thread-safe. Returns once everything submitted before is committed.
  void flush();
  /// Thread-safe. Commits what is queued, flushes to disk, ends the thread.
  void stop();

  /// Thread-safe. A fresh key for a message body in Db::messages.
  std::uint64_t next_body_id() noexcept { return next_body_id_.fetch_add(1, std::memory_order_relaxed); }
  /// Before the first next_body_id(): ids below `id` are taken.
  void reserve_body_ids(std::uint64_t id) noexcept { next_body_id_.store(id, std::memory_order_relaxed); }
  /// Thread-safe. The last in-memory holder of a stored body let it go:
  /// erase it, unless the broker is shutting down (then its queues are
  /// being torn down, not emptied, and the bodies must stay).
  void drop_body(std::uint64_t id);
  /// Thread-safe. From now on drop_body() does nothing.
  void keep_bodies() noexcept { keep_bodies_.store(true, std::memory_order_relaxed); }

  /// Thread-safe. Commits and operations so far (metrics, tests).
  [[nodiscard]] std::uint64_t commits() const noexcept { return commits_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t ops_applied() const noexcept { return ops_applied_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    Op op;
    std::shared_ptr<void> hold;
  };
  using Clock = std::chrono::steady_clock;

  void run();
  /// Waits until a batch is due; false when stopping with nothing left.
  bool take_batch(std::vector<Pending>& batch, std::uint64_t& upto);
  void commit(std::vector<Pending>& batch);
  int apply(std::vector<Pending>& batch);

  Env& env_;
  WriterOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;       // the writer: work or stop
  std::condition_variable committed_;  // flush(): a batch is done
  std::vector<Pending> pending_;
  Clock::time_point first_pending_at_{};
  std::uint64_t submitted_ = 0;  // batches of ops submitted
  std::uint64_t done_ = 0;       // of those, committed (or failed)
  bool flush_requested_ = false;
  bool stopping_ = false;
  Clock::time_point last_sync_ = Clock::now();
  std::atomic<std::uint64_t> next_body_id_{1};
  std::atomic<bool> keep_bodies_{false};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> ops_applied_{0};
  std::thread thread_;
};

}  // namespace actormq::persist
