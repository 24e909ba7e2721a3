#pragma once
// The persistence process: every write to the store goes through one Writer,
// which groups them into LMDB write transactions (one commit per
// commit_interval_ms or commit_max_ops, whichever comes first; at once under
// durability sync). It runs on its own thread, like a BEAM dirty scheduler:
// a commit that waits for the disk never holds up a scheduler.
//
// A write may carry a `hold` (persist/hold.hpp), released only once the
// commit that contains the write is on disk (durability sync) or committed
// (batch). The broker gates acknowledgements on it (core/store/ack_gate.hpp).
//
// A commit that fails (other than a full map, which grows) tells its holds
// (Hold::failed) before releasing them: what waited on it is never taken as
// stored. Its writes are kept and tried again, ahead of and together with
// every later write, until a commit succeeds: the store then matches what
// the broker holds in memory, and no later write (an erasure, a newer
// session record) is applied before an earlier one it depends on. A store
// that keeps failing holds at most retry_max_bytes of writes; beyond that
// the oldest are given up, with an error naming data_dir.
//
// A write that can never be stored (a key LMDB refuses, a digest key that
// holds another key's record: persist/key.hpp) is not retried: it is taken
// out of the commit with the other writes of its submit, its hold is told
// (Hold::failed), the error is reported, and the rest of the commit goes on.

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
#include "persist/hold.hpp"

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
  /// which grows) with a new error, when writes are given up, and for each
  /// write that can never be stored.
  std::function<void(const std::string&)> on_error;
  /// Called on the writer thread when a commit succeeds after failures.
  std::function<void(const std::string&)> on_recovered;
  /// After a failed commit, the next attempt waits this long (new writes
  /// join it; their holds fail too while the store keeps failing).
  std::chrono::milliseconds retry_interval{500};
  /// Keys and values of failed writes kept for the retry, at most.
  std::size_t retry_max_bytes = std::size_t{64} << 20;
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
  /// releases `hold` once they are committed (after Hold::failed if the
  /// commit failed).
  void submit(std::vector<Op> ops, HoldPtr hold = {});
  void submit(Op op, HoldPtr hold = {});
  /// Thread-safe. Returns once everything submitted before has had its
  /// commit (committed, or failed and kept for a retry).
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
  /// Thread-safe. Time the successful commits took, added up (with their
  /// flush to disk): over commits(), the mean commit latency.
  [[nodiscard]] std::uint64_t commit_micros() const noexcept {
    return commit_micros_.load(std::memory_order_relaxed);
  }
  /// Thread-safe. Commits that failed (each retry counts).
  [[nodiscard]] std::uint64_t failed_commits() const noexcept {
    return failed_commits_.load(std::memory_order_relaxed);
  }
  /// Thread-safe. Writes dropped because they can never be stored.
  [[nodiscard]] std::uint64_t rejected_ops() const noexcept { return rejected_ops_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    Op op;
    HoldPtr hold;
    std::uint64_t submission = 0;  ///< which submit() it came with
  };
  /// The result of one transaction over a batch: 0 or the error, and the
  /// index of the write that failed (the batch's size if none did).
  struct Applied {
    int rc = 0;
    std::size_t failed_op = 0;
  };
  using Clock = std::chrono::steady_clock;

  void run();
  /// Waits until a batch is due and appends the pending writes to `batch`
  /// (which may hold a failed batch to retry); false when stopping with
  /// nothing left.
  bool take_batch(std::vector<Pending>& batch, std::uint64_t& upto);
  /// 0, or the error of the failed commit.
  int commit(std::vector<Pending>& batch);
  Applied apply(const std::vector<Pending>& batch);
  /// batch[failed_op] can never be stored: drops it and the other writes of
  /// its submit, failing their hold, and reports it.
  void reject(std::vector<Pending>& batch, std::size_t failed_op, int rc);
  /// A commit of `batch` failed with `rc`: tells and releases its holds;
  /// keeps its writes for a retry unless stopping or over retry_max_bytes.
  void failed(std::vector<Pending>& batch, int rc);

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
  // Writer thread only: the failed commit kept for a retry.
  Clock::time_point retry_at_{};
  int last_error_ = 0;               // of the last commit; 0 if it succeeded
  std::uint64_t failures_in_row_ = 0;
  std::atomic<std::uint64_t> next_body_id_{1};
  std::atomic<bool> keep_bodies_{false};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> ops_applied_{0};
  std::atomic<std::uint64_t> commit_micros_{0};
  std::atomic<std::uint64_t> failed_commits_{0};
  std::atomic<std::uint64_t> rejected_ops_{0};
  std::thread thread_;
};

}  // namespace actormq::persist
