#include "persist/writer.hpp"

#include <optional>

#include "persist/record.hpp"

namespace actormq::persist {

namespace {

// Whose record is under digest key `stored` (persist/key.hpp): its whole
// key, none, or an LMDB error. A malformed envelope reads as another key's.
struct Owner {
  int rc = 0;
  std::optional<std::string> key;
};
Owner owner_of(MDB_txn* txn, MDB_dbi dbi, std::string_view stored) {
  MDB_val key = mdb_val(stored);
  MDB_val data{};
  int rc = mdb_get(txn, dbi, &key, &data);
  if (rc != 0) {
    return Owner{rc == MDB_NOTFOUND ? 0 : rc, std::nullopt};
  }
  auto whole = unwrap(mdb_view(data));
  return Owner{0, whole ? std::string(whole->key) : std::string()};
}

// Erases the records whose stored key starts with `stored_prefix`; under a
// digest prefix, only those whose whole key starts with `prefix` (another
// client id may share the digest).
int erase_prefix(MDB_txn* txn, MDB_dbi dbi, std::string_view stored_prefix, std::string_view prefix, bool digest) {
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn, dbi, &cursor); rc != 0) {
    return rc;
  }
  MDB_val key = mdb_val(stored_prefix);
  MDB_val data{};
  int rc = mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE);
  while (rc == 0 && mdb_view(key).starts_with(stored_prefix)) {
    auto whole = digest ? unwrap(mdb_view(data)) : std::nullopt;
    if (digest && !(whole && whole->key.starts_with(prefix))) {
      rc = mdb_cursor_get(cursor, &key, &data, MDB_NEXT);
      continue;
    }
    rc = mdb_cursor_del(cursor, 0);
    if (rc == 0) {
      // LMDB: after mdb_cursor_del the next MDB_NEXT yields the record that
      // followed the deleted one.
      rc = mdb_cursor_get(cursor, &key, &data, MDB_NEXT);
    }
  }
  mdb_cursor_close(cursor);
  return rc == MDB_NOTFOUND ? 0 : rc;
}

int put(MDB_txn* txn, const Env& env, const Op& op) {
  MDB_dbi dbi = env.dbi(op.db);
  KeyScheme::Stored stored = env.keys().stored_key(op.db, op.key);
  MDB_val key = mdb_val(stored.key);
  if (!stored.digest) {
    MDB_val data = mdb_val(op.value);
    return mdb_put(txn, dbi, &key, &data, 0);
  }
  Owner owner = owner_of(txn, dbi, stored.key);
  if (owner.rc != 0) {
    return owner.rc;
  }
  if (owner.key && *owner.key != op.key) {
    return key_collision;  // the record of another key: it stays
  }
  std::string envelope = wrap(op.key, op.value);
  MDB_val data = mdb_val(envelope);
  return mdb_put(txn, dbi, &key, &data, 0);
}

int erase(MDB_txn* txn, const Env& env, const Op& op) {
  MDB_dbi dbi = env.dbi(op.db);
  KeyScheme::Stored stored = env.keys().stored_key(op.db, op.key);
  if (stored.digest) {
    Owner owner = owner_of(txn, dbi, stored.key);
    if (owner.rc != 0 || !owner.key || *owner.key != op.key) {
      return owner.rc;  // absent, or another key's record: nothing to do
    }
  }
  MDB_val key = mdb_val(stored.key);
  int rc = mdb_del(txn, dbi, &key, nullptr);
  return rc == MDB_NOTFOUND ? 0 : rc;
}

int apply_op(MDB_txn* txn, const Env& env, const Op& op) {
  switch (op.kind) {
    case Op::Kind::put:
      return put(txn, env, op);
    case Op::Kind::erase:
      return erase(txn, env, op);
    case Op::Kind::erase_prefix: {
      KeyScheme::Stored stored = env.keys().stored_prefix(op.db, op.key);
      return erase_prefix(txn, env.dbi(op.db), stored.key, op.key, stored.digest);
    }
  }
  return EINVAL;
}

// Errors of one write that no retry can cure: a key LMDB cannot take
// (MDB_BAD_VALSIZE: empty, or too long for a plain key), a digest key that
// holds another key's record, an operation LMDB refuses as invalid.
bool never_stored(int rc) { return rc == MDB_BAD_VALSIZE || rc == key_collision || rc == EINVAL; }

}  // namespace

Writer::Writer(Env& env, WriterOptions options) : env_(env), options_(std::move(options)) {
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() { stop(); }

void Writer::submit(std::vector<Op> ops, HoldPtr hold) {
  if (ops.empty()) {
    return;  // the hold goes now: nothing to wait for
  }
  std::lock_guard lock(mutex_);
  if (stopping_) {
    return;  // after stop(): nothing more reaches the store
  }
  bool was_empty = pending_.empty();
  if (was_empty) {
    first_pending_at_ = Clock::now();
  }
  const std::uint64_t submission = ++submitted_;
  for (std::size_t i = 0; i + 1 < ops.size(); ++i) {
    pending_.push_back(Pending{std::move(ops[i]), {}, submission});
  }
  pending_.push_back(Pending{std::move(ops.back()), std::move(hold), submission});
  if (options_.sync || pending_.size() >= options_.commit_max_ops || was_empty) {
    wake_.notify_one();
  }
}

void Writer::submit(Op op, HoldPtr hold) {
  std::vector<Op> ops;
  ops.push_back(std::move(op));
  submit(std::move(ops), std::move(hold));
}

void Writer::drop_body(std::uint64_t id) {
  if (keep_bodies_.load(std::memory_order_relaxed)) {
    return;
  }
  submit(Op::erase(Db::messages, body_key(id)));
}

void Writer::flush() {
  std::unique_lock lock(mutex_);
  std::uint64_t target = submitted_;
  flush_requested_ = true;
  wake_.notify_one();
  committed_.wait(lock, [&] { return done_ >= target || !thread_.joinable(); });
}

void Writer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
  mdb_env_sync(env_.handle(), 1);
  committed_.notify_all();
}

bool Writer::take_batch(std::vector<Pending>& batch, std::uint64_t& upto) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!batch.empty()) {
      // A failed batch is retried on its schedule; a stop makes one last attempt.
      if (stopping_ || Clock::now() >= retry_at_) {
        break;
      }
      wake_.wait_until(lock, retry_at_);
      continue;
    }
    if (!pending_.empty() && (stopping_ || flush_requested_ || options_.sync ||
                              pending_.size() >= options_.commit_max_ops ||
                              Clock::now() >= first_pending_at_ + options_.commit_interval)) {
      break;
    }
    if (pending_.empty()) {
      flush_requested_ = false;
      if (stopping_) {
        return false;
      }
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, first_pending_at_ + options_.commit_interval);
    }
  }
  if (batch.empty()) {
    batch.swap(pending_);
  } else {
    // Behind the retried writes: the order of writes is the order of submits.
    batch.insert(batch.end(), std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
    pending_.clear();
  }
  upto = submitted_;
  flush_requested_ = false;
  return true;
}

void Writer::run() {
  std::vector<Pending> batch;
  std::uint64_t upto = 0;
  while (take_batch(batch, upto)) {
    if (int rc = commit(batch); rc != 0) {
      failed(batch, rc);
    }
    if (last_error_ == 0) {
      batch.clear();  // releases the holds: the writes are committed
    }
    {
      std::lock_guard lock(mutex_);
      done_ = upto;
    }
    committed_.notify_all();
  }
}

Writer::Applied Writer::apply(const std::vector<Pending>& batch) {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_.handle(), nullptr, 0, &txn); rc != 0) {
    return {rc, batch.size()};
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (int rc = apply_op(txn, env_, batch[i].op); rc != 0) {
      mdb_txn_abort(txn);
      return {rc, i};
    }
  }
  return {mdb_txn_commit(txn), batch.size()};  // frees the transaction, committed or not
}

int Writer::commit(std::vector<Pending>& batch) {
  const Clock::time_point started = Clock::now();
  Applied a = apply(batch);
  for (;;) {
    if (a.rc == MDB_MAP_FULL) {
      // LMDB lmdb.h: MDB_MAP_FULL is an ordinary result. The transaction is
      // gone; with none open, the map may grow and the batch run again.
      if (!env_.grow_map()) {
        break;
      }
    } else if (a.failed_op < batch.size() && never_stored(a.rc)) {
      // Kept for a retry, this write would fail every later commit with it.
      reject(batch, a.failed_op, a.rc);
    } else {
      break;
    }
    a = apply(batch);
  }
  const int rc = a.rc;
  if (rc != 0) {
    return rc;
  }
  if (last_error_ != 0 && options_.on_recovered) {
    options_.on_recovered("data_dir " + env_.path() + ": commits succeed again (" + std::to_string(batch.size()) +
                          " writes stored after " + std::to_string(failures_in_row_) + " failed commits)");
  }
  last_error_ = 0;
  failures_in_row_ = 0;
  commits_.fetch_add(1, std::memory_order_relaxed);
  ops_applied_.fetch_add(batch.size(), std::memory_order_relaxed);
  if (!options_.sync && Clock::now() - last_sync_ >= std::chrono::seconds(1)) {
    // Batch durability (MDB_NOSYNC): a crash of the process loses nothing
    // committed; the OS flushes at least once a second.
    mdb_env_sync(env_.handle(), 1);
    last_sync_ = Clock::now();
  }
  commit_micros_.fetch_add(
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count()),
      std::memory_order_relaxed);
  return 0;
}

void Writer::reject(std::vector<Pending>& batch, std::size_t failed_op, int rc) {
  // The writes of one submit go together (one transaction), in a row.
  const std::uint64_t submission = batch[failed_op].submission;
  auto begin = batch.begin() + static_cast<std::ptrdiff_t>(failed_op);
  while (begin != batch.begin() && (begin - 1)->submission == submission) {
    --begin;
  }
  auto end = batch.begin() + static_cast<std::ptrdiff_t>(failed_op) + 1;
  while (end != batch.end() && end->submission == submission) {
    ++end;
  }
  const Op& op = batch[failed_op].op;
  std::string what = "data_dir " + env_.path() + ": a write to database '" +
                     std::string(db_names[static_cast<std::size_t>(op.db)]) + "' (key of " +
                     std::to_string(op.key.size()) + " bytes) can never be stored: " + lmdb_error(rc) +
                     (rc == key_collision ? " (its key's digest holds another key's record)" : "") + "; dropped with " +
                     std::to_string(end - begin - 1) + " other writes submitted with it, the rest of the commit is stored";
  for (auto it = begin; it != end; ++it) {
    if (it->hold) {
      it->hold->failed(rc);  // told before released, as for a failed commit
    }
  }
  rejected_ops_.fetch_add(static_cast<std::uint64_t>(end - begin), std::memory_order_relaxed);
  batch.erase(begin, end);
  if (options_.on_error) {
    options_.on_error(what);
  }
}

void Writer::failed(std::vector<Pending>& batch, int rc) {
  failed_commits_.fetch_add(1, std::memory_order_relaxed);
  ++failures_in_row_;
  std::size_t bytes = 0;
  for (Pending& p : batch) {
    bytes += p.op.key.size() + p.op.value.size();
    if (p.hold) {
      // Told before released: what waited on this write must not take it as stored.
      p.hold->failed(rc);
      p.hold.reset();
    }
  }
  // The writes stay for a retry rather than being dropped: a disk that was
  // full or failed for a moment (ENOSPC, EIO) often works again, and a later
  // commit without them would leave the store unlike memory (an erasure
  // lost brings a delivered message back after a restart; a lost session
  // record loses subscriptions). Their clients are told now, through the
  // holds, and resend; a repeated QoS 1 message is allowed, a false
  // acknowledgement is not.
  bool give_up = bytes > options_.retry_max_bytes;
  {
    std::lock_guard lock(mutex_);
    give_up = give_up || stopping_;
  }
  std::string where = "data_dir " + env_.path() + ": ";
  if (give_up) {
    if (options_.on_error) {
      options_.on_error(where + "commit of " + std::to_string(batch.size()) + " writes failed: " + lmdb_error(rc) +
                        "; giving them up (the store may lack or keep messages and sessions it should not)");
    }
    batch.clear();
    last_error_ = 0;
    failures_in_row_ = 0;
    return;
  }
  if (rc != last_error_ && options_.on_error) {
    // LMDB lmdb.h: after MDB_PANIC (a failed meta page write) the environment
    // refuses every transaction until it is opened again.
    std::string until = rc == MDB_PANIC ? "; LMDB needs the broker restarted to write again"
                                        : " until the store works again";
    options_.on_error(where + "commit of " + std::to_string(batch.size()) + " writes failed: " + lmdb_error(rc) +
                      "; nothing waiting on them is acknowledged, and they are retried every " +
                      std::to_string(options_.retry_interval.count()) + " ms" + until);
  }
  last_error_ = rc;
  retry_at_ = Clock::now() + options_.retry_interval;
}

}  // namespace actormq::persist
