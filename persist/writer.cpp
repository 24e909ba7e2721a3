#include "persist/writer.hpp"

#include "persist/record.hpp"

namespace actormq::persist {

namespace {

MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

int erase_prefix(MDB_txn* txn, MDB_dbi dbi, std::string_view prefix) {
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn, dbi, &cursor); rc != 0) {
    return rc;
  }
  MDB_val key = val(prefix);
  MDB_val data{};
  int rc = mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE);
  while (rc == 0 && std::string_view(static_cast<const char*>(key.mv_data), key.mv_size).starts_with(prefix)) {
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

int apply_op(MDB_txn* txn, const Env& env, const Op& op) {
  MDB_dbi dbi = env.dbi(op.db);
  switch (op.kind) {
    case Op::Kind::put: {
      MDB_val key = val(op.key);
      MDB_val data = val(op.value);
      return mdb_put(txn, dbi, &key, &data, 0);
    }
    case Op::Kind::erase: {
      MDB_val key = val(op.key);
      int rc = mdb_del(txn, dbi, &key, nullptr);
      return rc == MDB_NOTFOUND ? 0 : rc;
    }
    case Op::Kind::erase_prefix:
      return erase_prefix(txn, dbi, op.key);
  }
  return EINVAL;
}

}  // namespace

Writer::Writer(Env& env, WriterOptions options) : env_(env), options_(std::move(options)) {
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() { stop(); }

void Writer::submit(std::vector<Op> ops, std::shared_ptr<void> hold) {
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
  for (std::size_t i = 0; i + 1 < ops.size(); ++i) {
    pending_.push_back(Pending{std::move(ops[i]), {}});
  }
  pending_.push_back(Pending{std::move(ops.back()), std::move(hold)});
  ++submitted_;
  if (options_.sync || pending_.size() >= options_.commit_max_ops || was_empty) {
    wake_.notify_one();
  }
}

void Writer::submit(Op op, std::shared_ptr<void> hold) {
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
  batch.swap(pending_);
  upto = submitted_;
  flush_requested_ = false;
  return true;
}

void Writer::run() {
  std::vector<Pending> batch;
  std::uint64_t upto = 0;
  while (take_batch(batch, upto)) {
    commit(batch);
    batch.clear();  // releases the holds: the writes are committed
    {
      std::lock_guard lock(mutex_);
      done_ = upto;
    }
    committed_.notify_all();
  }
}

int Writer::apply(std::vector<Pending>& batch) {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_.handle(), nullptr, 0, &txn); rc != 0) {
    return rc;
  }
  for (const Pending& p : batch) {
    if (int rc = apply_op(txn, env_, p.op); rc != 0) {
      mdb_txn_abort(txn);
      return rc;
    }
  }
  return mdb_txn_commit(txn);  // frees the transaction, committed or not
}

void Writer::commit(std::vector<Pending>& batch) {
  int rc = apply(batch);
  // LMDB lmdb.h: MDB_MAP_FULL is an ordinary result. The transaction is
  // gone; with none open, the map may grow and the batch run again.
  while (rc == MDB_MAP_FULL && env_.grow_map()) {
    rc = apply(batch);
  }
  if (rc != 0) {
    if (options_.on_error) {
      options_.on_error("data_dir " + env_.path() + ": commit of " + std::to_string(batch.size()) +
                        " writes failed: " + lmdb_error(rc));
    }
    return;
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  ops_applied_.fetch_add(batch.size(), std::memory_order_relaxed);
  if (!options_.sync && Clock::now() - last_sync_ >= std::chrono::seconds(1)) {
    // Batch durability (MDB_NOSYNC): a crash of the process loses nothing
    // committed; the OS flushes at least once a second.
    mdb_env_sync(env_.handle(), 1);
    last_sync_ = Clock::now();
  }
}

}  // namespace actormq::persist
