#include "persist/writer.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "persist/record.hpp"
#include "test_dir.hpp"
#include "test_env.hpp"

namespace actormq::persist {

using test::contents;
using test::TempDir;

namespace {
std::unique_ptr<Env> open_env(const std::string& path, std::size_t map_size = std::size_t{64} << 20) {
  EnvOptions o{path};
  o.initial_map_size = map_size;
  return test::open_env(std::move(o));
}

// Counts its destruction: a hold released after the commit; and its failures.
struct Flag : Hold {
  explicit Flag(std::atomic<int>& r) : released(r) {}
  std::atomic<int>& released;
  std::atomic<int> error{0};
  ~Flag() override { released.fetch_add(1); }
  void failed(int rc) noexcept override { error.store(rc); }
};
}  // namespace

TEST_CASE("puts, erases and prefix erases are applied in order") {
  TempDir dir;
  auto env = open_env(dir.path());
  Writer w(*env, WriterOptions{});
  w.submit(Op::put(Db::queue, session_key("a", 1), "1"));
  w.submit(Op::put(Db::queue, session_key("a", 2), "2"));
  w.submit(Op::put(Db::queue, session_key("ab", 1), "x"));
  w.submit(Op::put(Db::sessions, "a", "s"));
  w.submit(Op::erase(Db::sessions, "nobody"));  // absent: nothing to do
  w.flush();
  CHECK(contents(*env, Db::queue).size() == 3);
  w.submit(Op::erase_prefix(Db::queue, session_prefix("a")));
  w.submit(Op::put(Db::queue, session_key("a", 3), "3"));  // after the erase: kept
  w.flush();
  auto q = contents(*env, Db::queue);
  CHECK(q == std::map<std::string, std::string>{{session_key("a", 3), "3"}, {session_key("ab", 1), "x"}});
}

TEST_CASE("writes are grouped into commits by commit_max_ops") {
  TempDir dir;
  auto env = open_env(dir.path());
  WriterOptions o;
  o.commit_interval = std::chrono::milliseconds(60000);  // only the count triggers
  o.commit_max_ops = 100;
  Writer w(*env, o);
  for (int i = 0; i < 1000; ++i) {
    w.submit(Op::put(Db::retained, "t/" + std::to_string(i), "v"));
  }
  w.flush();
  CHECK(contents(*env, Db::retained).size() == 1000);
  CHECK(w.ops_applied() == 1000);
  CHECK(w.commits() <= 11);  // ten full groups (a slow thread may group more), one flush
  CHECK(w.commits() >= 1);
}

TEST_CASE("a hold is released only after its commit") {
  TempDir dir;
  auto env = open_env(dir.path());
  WriterOptions o;
  o.sync = true;
  Writer w(*env, o);
  std::atomic<int> released{0};
  w.submit({Op::put(Db::retained, "a", "1"), Op::put(Db::retained, "b", "2")},
           std::make_shared<Flag>(released));
  w.flush();
  CHECK(released.load() == 1);
  CHECK(contents(*env, Db::retained).size() == 2);
}

TEST_CASE("the map grows when full instead of failing the commit") {
  TempDir dir;
  auto env = open_env(dir.path(), 256 * 1024);
  std::size_t before = env->map_size();
  std::vector<std::string> errors;
  WriterOptions o;
  o.on_error = [&](const std::string& e) { errors.push_back(e); };
  Writer w(*env, o);
  std::string value(1000, 'v');
  for (int i = 0; i < 4000; ++i) {
    w.submit(Op::put(Db::messages, body_key(static_cast<std::uint64_t>(i + 1)), value));
  }
  w.flush();
  CHECK(errors.empty());
  CHECK(env->map_size() > before);
  CHECK(contents(*env, Db::messages).size() == 4000);
}

TEST_CASE("stop commits what is pending, writes survive a reopen") {
  TempDir dir;
  {
    auto env = open_env(dir.path());
    WriterOptions o;
    o.commit_interval = std::chrono::milliseconds(60000);
    Writer w(*env, o);
    w.submit(Op::put(Db::sessions, "c", "record"));
    w.stop();
    w.submit(Op::put(Db::sessions, "late", "x"));  // after stop: dropped
  }
  auto env = open_env(dir.path());
  CHECK(contents(*env, Db::sessions) == std::map<std::string, std::string>{{"c", "record"}});
}

TEST_CASE("drop_body erases a body until keep_bodies") {
  TempDir dir;
  auto env = open_env(dir.path());
  Writer w(*env, WriterOptions{});
  w.reserve_body_ids(10);
  std::uint64_t a = w.next_body_id();
  std::uint64_t b = w.next_body_id();
  CHECK(a == 10);
  CHECK(b == 11);
  w.submit({Op::put(Db::messages, body_key(a), "A"), Op::put(Db::messages, body_key(b), "B")});
  w.drop_body(a);
  w.keep_bodies();
  w.drop_body(b);
  w.flush();
  CHECK(contents(*env, Db::messages) == std::map<std::string, std::string>{{body_key(b), "B"}});
}

}  // namespace actormq::persist

namespace actormq::persist {

TEST_CASE("a submit of several writes is committed after commit_interval, with no flush") {
  TempDir dir;
  EnvOptions o{dir.path()};
  auto r = Env::open(o);
  REQUIRE(std::holds_alternative<std::unique_ptr<Env>>(r));
  auto& env = *std::get<std::unique_ptr<Env>>(r);
  WriterOptions wo;
  wo.commit_interval = std::chrono::milliseconds(10);
  Writer w(env, wo);
  w.submit({Op::put(Db::sessions, "a", "1"), Op::put(Db::sessions, "b", "2"), Op::put(Db::sessions, "c", "3")});
  for (int i = 0; i < 500 && w.commits() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CHECK(w.commits() == 1);
  CHECK(w.ops_applied() == 3);
}

}  // namespace actormq::persist

namespace actormq::persist {

namespace {
// Limits the size of files this process writes (RLIMIT_FSIZE), so that LMDB's
// next write past the end of data.mdb fails (EFBIG, with SIGXFSZ ignored) as
// it would on a full disk; restores the old limit when it leaves scope.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    set(bytes);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  void set(rlim_t bytes) {
    rlimit r = old_;
    r.rlim_cur = std::min(bytes, old_.rlim_max);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &r) == 0);
  }
  void lift() { ::setrlimit(RLIMIT_FSIZE, &old_); }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

template <class F>
bool eventually(F f) {
  for (int i = 0; i < 1000 && !f(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return f();
}
}  // namespace

TEST_CASE("a failed commit fails its holds, and its writes are retried in order until the store works again") {
  TempDir dir;
  auto env = open_env(dir.path());
  std::vector<std::string> errors;
  std::vector<std::string> recovered;
  std::mutex log_mutex;
  WriterOptions o;
  o.sync = true;
  o.retry_interval = std::chrono::milliseconds(20);
  o.on_error = [&](const std::string& e) {
    std::lock_guard lock(log_mutex);
    errors.push_back(e);
  };
  o.on_recovered = [&](const std::string& e) {
    std::lock_guard lock(log_mutex);
    recovered.push_back(e);
  };
  Writer w(*env, o);
  std::atomic<int> released{0};
  auto first = std::make_shared<Flag>(released);
  w.submit(Op::put(Db::queue, session_key("a", 1), "stored"), first);
  w.flush();
  CHECK(first->error.load() == 0);
  first.reset();
  CHECK(released.load() == 1);

  std::uint64_t size = std::filesystem::file_size(dir.path() + "/data.mdb");
  FileSizeLimit limit(size);
  auto big = std::make_shared<Flag>(released);
  // The value needs pages past the end of the file: the commit fails.
  w.submit({Op::put(Db::messages, body_key(1), std::string(200000, 'x')),
            Op::erase(Db::queue, session_key("a", 1))},
           big);
  CHECK(eventually([&] { return big.use_count() == 1; }));  // the writer let its copy go
  CHECK(big->error.load() == EFBIG);
  big.reset();
  CHECK(released.load() == 2);
  // A later write joins the retried ones and fails with them while the store fails.
  auto later = std::make_shared<Flag>(released);
  w.submit(Op::put(Db::queue, session_key("a", 2), "later"), later);
  CHECK(eventually([&] { return later.use_count() == 1; }));
  CHECK(later->error.load() == EFBIG);
  later.reset();
  CHECK(w.failed_commits() >= 2);
  {
    std::lock_guard lock(log_mutex);
    REQUIRE(errors.size() == 1);  // one line per new error, not per retry
    CHECK(errors[0].find("data_dir " + dir.path()) == 0);
    CHECK(errors[0].find("failed") != std::string::npos);
  }
  CHECK(contents(*env, Db::queue) == std::map<std::string, std::string>{{session_key("a", 1), "stored"}});

  limit.lift();
  CHECK(eventually([&] {
    std::lock_guard lock(log_mutex);
    return !recovered.empty();
  }));
  // Everything kept, in submit order: the erase of a/1 came after its put.
  CHECK(contents(*env, Db::queue) == std::map<std::string, std::string>{{session_key("a", 2), "later"}});
  CHECK(contents(*env, Db::messages).size() == 1);
  auto after = std::make_shared<Flag>(released);
  w.submit(Op::put(Db::sessions, "s", "1"), after);
  w.flush();
  CHECK(after->error.load() == 0);
  CHECK(recovered[0].find("data_dir " + dir.path()) == 0);
}

TEST_CASE("failed writes beyond retry_max_bytes are given up, and later commits work") {
  TempDir dir;
  auto env = open_env(dir.path());
  std::vector<std::string> errors;
  WriterOptions o;
  o.sync = true;
  o.retry_max_bytes = 1000;
  o.on_error = [&](const std::string& e) { errors.push_back(e); };
  Writer w(*env, o);
  w.submit(Op::put(Db::retained, "first", "v"));
  w.flush();
  std::atomic<int> released{0};
  auto hold = std::make_shared<Flag>(released);
  {
    FileSizeLimit limit(std::filesystem::file_size(dir.path() + "/data.mdb"));
    // Pages past the end of the file: the commit fails, and it is too big to keep.
    w.submit({Op::put(Db::retained, "k", std::string(200000, 'v'))}, hold);
    w.flush();
  }
  CHECK(hold->error.load() == EFBIG);
  hold.reset();
  CHECK(released.load() == 1);
  w.submit(Op::put(Db::retained, "t", "v"));
  w.flush();
  CHECK(contents(*env, Db::retained) == std::map<std::string, std::string>{{"first", "v"}, {"t", "v"}});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("giving them up") != std::string::npos);
}

TEST_CASE("stop gives up writes that still fail instead of waiting for ever") {
  TempDir dir;
  auto env = open_env(dir.path());
  WriterOptions o;
  o.retry_interval = std::chrono::milliseconds(60000);
  std::atomic<int> errors{0};
  o.on_error = [&](const std::string&) { errors.fetch_add(1); };
  Writer w(*env, o);
  w.submit(Op::put(Db::retained, "first", "v"));
  w.flush();
  FileSizeLimit limit(std::filesystem::file_size(dir.path() + "/data.mdb"));
  w.submit(Op::put(Db::retained, "k", std::string(200000, 'v')));
  w.flush();
  w.stop();
  CHECK(errors.load() == 2);  // the failure, then giving up at the stop
}

TEST_CASE("a write that can never be stored is dropped alone: the rest of its commit is stored, later ones too") {
  for (bool sync : {true, false}) {
    CAPTURE(sync);
    TempDir dir;
    auto env = open_env(dir.path());
    std::vector<std::string> errors;
    std::mutex log_mutex;
    WriterOptions o;
    o.sync = sync;
    o.commit_interval = std::chrono::milliseconds(60000);  // one batch, by flush()
    o.on_error = [&](const std::string& e) {
      std::lock_guard lock(log_mutex);
      errors.push_back(e);
    };
    Writer w(*env, o);
    std::atomic<int> released{0};
    auto before = std::make_shared<Flag>(released);
    auto bad = std::make_shared<Flag>(released);
    auto after = std::make_shared<Flag>(released);
    w.submit({Op::put(Db::queue, session_key("a", 1), "a1")}, before);
    // LMDB refuses an empty key (MDB_BAD_VALSIZE) in any transaction; the
    // writes submitted with it go with it.
    w.submit({Op::put(Db::messages, body_key(9), "body"), Op::put(Db::sessions, "", "never")}, bad);
    w.submit({Op::put(Db::queue, session_key("b", 1), "b1")}, after);
    w.flush();
    CHECK(before->error.load() == 0);
    CHECK(bad->error.load() == MDB_BAD_VALSIZE);
    CHECK(after->error.load() == 0);
    before.reset();
    bad.reset();
    after.reset();
    CHECK(released.load() == 3);
    CHECK(w.failed_commits() == 0);
    CHECK(w.rejected_ops() == 2);
    CHECK(contents(*env, Db::queue) ==
          std::map<std::string, std::string>{{session_key("a", 1), "a1"}, {session_key("b", 1), "b1"}});
    CHECK(contents(*env, Db::messages).empty());
    // Not kept for a retry: the next commit holds only its own write.
    auto next = std::make_shared<Flag>(released);
    w.submit({Op::put(Db::sessions, "c", "record")}, next);
    w.flush();
    CHECK(next->error.load() == 0);
    CHECK(w.ops_applied() == 3);
    std::lock_guard lock(log_mutex);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("data_dir " + dir.path()) == 0);
    CHECK(errors[0].find("database 'sessions'") != std::string::npos);
    CHECK(errors[0].find("can never be stored") != std::string::npos);
  }
}

}  // namespace actormq::persist
