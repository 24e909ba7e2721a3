#include "persist/writer.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <map>

#include "persist/record.hpp"
#include "test_dir.hpp"

namespace actormq::persist {

using test::TempDir;

namespace {
std::unique_ptr<Env> open_env(const std::string& path, std::size_t map_size = std::size_t{64} << 20) {
  EnvOptions o{path};
  o.initial_map_size = map_size;
  auto r = Env::open(o);
  REQUIRE(std::holds_alternative<std::unique_ptr<Env>>(r));
  return std::move(std::get<std::unique_ptr<Env>>(r));
}

std::map<std::string, std::string> contents(const Env& env, Db db) {
  std::map<std::string, std::string> all;
  CHECK_FALSE(env.for_each(db, [&](std::string_view k, std::string_view v) {
    all.emplace(k, v);
    return true;
  }));
  return all;
}

// Counts its destruction: a hold released after the commit.
struct Flag {
  explicit Flag(std::atomic<int>& r) : released(r) {}
  Flag(const Flag&) = delete;
  Flag& operator=(const Flag&) = delete;
  std::atomic<int>& released;
  ~Flag() { released.fetch_add(1); }
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

TEST_CASE("stop commits what is pending; writes survive a reopen") {
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
