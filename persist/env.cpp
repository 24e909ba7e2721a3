#include "persist/env.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace actormq::persist {

namespace {

std::string failure(const std::string& path, std::string_view what) {
  return "data_dir " + path + ": " + std::string(what);
}

// Read transaction that aborts when it leaves scope.
class ReadTxn {
 public:
  explicit ReadTxn(MDB_env* env) { rc_ = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn_); }
  ~ReadTxn() {
    if (txn_ != nullptr) {
      mdb_txn_abort(txn_);
    }
  }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  [[nodiscard]] int rc() const { return rc_; }
  [[nodiscard]] MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
  int rc_ = 0;
};

// Checks the directory before LMDB sees it: LMDB's own errors ("No such file
// or directory" for a path that is a file) do not say what is wrong.
std::optional<std::string> prepare_directory(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return failure(path, std::strerror(errno));
    }
    if (::mkdir(path.c_str(), 0750) != 0) {
      return failure(path, std::string("cannot create the directory: ") + std::strerror(errno));
    }
    return std::nullopt;
  }
  if (!S_ISDIR(st.st_mode)) {
    return failure(path, "not a directory");
  }
  if (::access(path.c_str(), R_OK | W_OK | X_OK) != 0) {
    return failure(path, std::string("directory not writable: ") + std::strerror(errno));
  }
  return std::nullopt;
}

}  // namespace

std::string lmdb_error(int rc) { return std::string(mdb_strerror(rc)) + " (" + std::to_string(rc) + ")"; }

std::variant<std::unique_ptr<Env>, std::string> Env::open(const EnvOptions& options) {
  const std::string& path = options.path;
  if (auto err = prepare_directory(path)) {
    return *err;
  }
  std::unique_ptr<Env> env(new Env());
  env->path_ = path;
  // LMDB lets several processes share an environment; two brokers on one
  // data_dir would each believe they own its sessions.
  std::string lock_path = path + "/actormq.lock";
  env->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (env->lock_fd_ < 0) {
    return failure(path, std::string("cannot open or create ") + lock_path + ": " + std::strerror(errno));
  }
  if (::flock(env->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return failure(path, "in use by another actormq process");
  }
  if (int rc = mdb_env_create(&env->env_); rc != 0) {
    return failure(path, "mdb_env_create: " + lmdb_error(rc));
  }
  mdb_env_set_maxdbs(env->env_, static_cast<MDB_dbi>(db_names.size()));
  // The stored map size wins when it is larger (LMDB keeps it in the meta page).
  mdb_env_set_mapsize(env->env_, options.initial_map_size);
  unsigned flags = options.sync_commits ? 0 : MDB_NOSYNC;
  if (int rc = mdb_env_open(env->env_, path.c_str(), flags, 0640); rc != 0) {
    std::string why = rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED
                          ? "data.mdb is corrupt or not an LMDB file: " + lmdb_error(rc)
                          : "cannot open the LMDB environment: " + lmdb_error(rc);
    return failure(path, why);
  }
  env->keys_.emplace(static_cast<std::size_t>(mdb_env_get_maxkeysize(env->env_)), options.key_digest);
  // LMDB lmdb.h: mdb_reader_check clears slots of readers that died without
  // ending their transaction, which would otherwise pin old pages for ever.
  mdb_reader_check(env->env_, &env->stale_readers_);
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env->env_, nullptr, 0, &txn); rc != 0) {
    return failure(path, "cannot begin a transaction: " + lmdb_error(rc));
  }
  for (std::size_t i = 0; i < db_names.size(); ++i) {
    std::string name(db_names[i]);
    if (int rc = mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &env->dbis_[i]); rc != 0) {
      mdb_txn_abort(txn);
      return failure(path, "cannot open database '" + name + "': " + lmdb_error(rc));
    }
  }
  if (int rc = mdb_txn_commit(txn); rc != 0) {
    return failure(path, "cannot commit: " + lmdb_error(rc));
  }
  return env;
}

Env::~Env() {
  if (env_ != nullptr) {
    mdb_env_sync(env_, 1);
    mdb_env_close(env_);
  }
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);
  }
}

namespace {

// Cursor that closes when it leaves scope (LMDB lmdb.h: a read-only
// transaction's cursors must be closed explicitly).
class Cursor {
 public:
  Cursor(MDB_txn* txn, MDB_dbi dbi) { rc_ = mdb_cursor_open(txn, dbi, &cursor_); }
  ~Cursor() {
    if (cursor_ != nullptr) {
      mdb_cursor_close(cursor_);
    }
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  [[nodiscard]] int rc() const { return rc_; }
  int get(MDB_val& key, MDB_val& value, MDB_cursor_op op) { return mdb_cursor_get(cursor_, &key, &value, op); }

 private:
  MDB_cursor* cursor_ = nullptr;
  int rc_ = 0;
};

}  // namespace

std::optional<std::string> Env::for_each(Db db, const std::function<bool(std::string_view, std::string_view)>& f,
                                         std::size_t per_transaction) const {
  std::optional<std::string> resume_after;  // last key of the previous transaction
  for (;;) {
    std::shared_lock lock(resize_);
    ReadTxn txn(env_);
    if (txn.rc() != 0) {
      return lmdb_error(txn.rc());
    }
    Cursor cursor(txn.get(), dbi(db));
    if (cursor.rc() != 0) {
      return lmdb_error(cursor.rc());
    }
    MDB_val key{};
    MDB_val value{};
    int rc = 0;
    if (resume_after) {
      key = MDB_val{resume_after->size(), resume_after->data()};
      rc = cursor.get(key, value, MDB_SET_RANGE);
      if (rc == 0 && mdb_view(key) == *resume_after) {
        rc = cursor.get(key, value, MDB_NEXT);
      }
    } else {
      rc = cursor.get(key, value, MDB_FIRST);
    }
    for (std::size_t n = 1; rc == 0; ++n) {
      if (is_digest_key(db, mdb_view(key))) {
        auto whole = unwrap(mdb_view(value));
        if (!whole) {
          return "malformed record under a digest key (persist/key.hpp)";
        }
        if (!f(whole->key, whole->value)) {
          return std::nullopt;
        }
      } else if (!f(mdb_view(key), mdb_view(value))) {
        return std::nullopt;
      }
      if (n == per_transaction) {
        break;
      }
      rc = cursor.get(key, value, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND) {
      return std::nullopt;
    }
    if (rc != 0) {
      return lmdb_error(rc);
    }
    resume_after = std::string(mdb_view(key));
  }
}

std::size_t Env::map_size() const {
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

bool Env::grow_map() {
  std::unique_lock lock(resize_);
  return mdb_env_set_mapsize(env_, map_size() * 2) == 0;
}

}  // namespace actormq::persist
