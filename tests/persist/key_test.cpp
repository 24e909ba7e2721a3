#include "persist/key.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "persist/env.hpp"
#include "persist/record.hpp"
#include "persist/writer.hpp"
#include "test_dir.hpp"
#include "test_env.hpp"

namespace actormq::persist {

using test::contents;
using test::TempDir;

namespace {

constexpr std::size_t lmdb_max_key = 511;  // mdb_env_get_maxkeysize() of a default LMDB build

std::unique_ptr<Env> open_env(const std::string& path, KeyDigest digest = sha256_digest) {
  EnvOptions o{path};
  o.key_digest = std::move(digest);
  return test::open_env(std::move(o));
}

// The stored keys themselves, as LMDB holds them.
std::vector<std::string> raw_keys(const Env& env, Db db) {
  std::vector<std::string> keys;
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env.handle(), nullptr, MDB_RDONLY, &txn) == 0);
  MDB_cursor* cursor = nullptr;
  REQUIRE(mdb_cursor_open(txn, env.dbi(db), &cursor) == 0);
  MDB_val k{};
  MDB_val v{};
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    keys.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  return keys;
}

struct Failed : Hold {
  std::atomic<int> error{0};
  void failed(int rc) noexcept override { error.store(rc); }
};

}  // namespace

TEST_CASE("keys: up to LMDB's limit a key is stored as it is, beyond it under its digest") {
  KeyScheme keys(lmdb_max_key);
  const std::string at_limit(lmdb_max_key, 't');
  const std::string over(lmdb_max_key + 1, 't');
  CHECK(keys.stored_key(Db::retained, at_limit).key == at_limit);
  CHECK_FALSE(keys.stored_key(Db::retained, at_limit).digest);
  KeyScheme::Stored long_topic = keys.stored_key(Db::retained, over);
  CHECK(long_topic.digest);
  CHECK(long_topic.key == std::string(1, '\0') + sha256_digest(over));
  CHECK(is_digest_key(Db::retained, long_topic.key));
  CHECK_FALSE(is_digest_key(Db::retained, at_limit));
  CHECK(keys.stored_key(Db::sessions, over).key == long_topic.key);
  // Body keys are 8 bytes and may start with 0: never digest keys.
  CHECK_FALSE(keys.stored_key(Db::messages, over).digest);
  CHECK_FALSE(is_digest_key(Db::messages, body_key(1)));

  // Queue and in-flight keys: client id, 0, 8 bytes. An id of 502 bytes fills 511.
  const std::string id_at_limit(lmdb_max_key - 9, 'c');
  const std::string long_id(600, 'c');
  CHECK(keys.stored_key(Db::queue, session_key(id_at_limit, 7)).key == session_key(id_at_limit, 7));
  CHECK(keys.stored_prefix(Db::queue, session_prefix(id_at_limit)).key == session_prefix(id_at_limit));
  CHECK_FALSE(keys.stored_prefix(Db::queue, session_prefix(id_at_limit)).digest);
  const std::string id_over(lmdb_max_key - 8, 'c');
  KeyScheme::Stored e1 = keys.stored_key(Db::inflight, session_key(id_over, 1));
  CHECK(e1.digest);
  CHECK(e1.key == std::string(1, '\0') + sha256_digest(id_over) + session_key("", 1));
  // One session's entries stay together, in order, under its stored prefix.
  KeyScheme::Stored p = keys.stored_prefix(Db::queue, session_prefix(long_id));
  CHECK(p.digest);
  KeyScheme::Stored q1 = keys.stored_key(Db::queue, session_key(long_id, 1));
  KeyScheme::Stored q2 = keys.stored_key(Db::queue, session_key(long_id, 256));
  CHECK(q1.key.starts_with(p.key));
  CHECK(q2.key.starts_with(p.key));
  CHECK(q1.key < q2.key);
  CHECK(q1.key.size() == 1 + 32 + 9);
}

TEST_CASE("keys: an envelope keeps the whole key and the value, and malformed ones are refused") {
  std::string key(70000, 'k');
  std::string e = wrap(key, "value");
  auto u = unwrap(e);
  REQUIRE(u);
  CHECK(u->key == key);
  CHECK(u->value == "value");
  auto empty_value = unwrap(wrap("k", ""));
  REQUIRE(empty_value);
  CHECK(empty_value->value.empty());
  for (std::size_t n = 0; n < 6; ++n) {
    CHECK_FALSE(unwrap(e.substr(0, n)));
  }
  std::string bad_format = e;
  bad_format[0] = 2;
  CHECK_FALSE(unwrap(bad_format));
  CHECK_FALSE(unwrap(wrap("", "v")));
  CHECK_FALSE(unwrap(std::string("\x01\xff\xff\xff\xff", 5) + "x"));
}

TEST_CASE("keys: long topics and client ids are stored, read back whole, replaced and erased") {
  TempDir dir;
  const std::string topic(600, 't');
  const std::string at_limit(lmdb_max_key, 'u');
  const std::string id(600, 'c');
  const std::string id_at_limit(lmdb_max_key - 9, 'd');
  {
    auto env = open_env(dir.path());
    CHECK(env->keys().max_key_size() == lmdb_max_key);
    WriterOptions o;
    o.sync = true;
    Writer w(*env, o);
    auto hold = std::make_shared<Failed>();
    w.submit({Op::put(Db::retained, topic, "old"), Op::put(Db::retained, topic, "new"),
              Op::put(Db::retained, at_limit, "plain"), Op::put(Db::sessions, id, "record"),
              Op::put(Db::queue, session_key(id, 2), "q2"), Op::put(Db::queue, session_key(id, 1), "q1"),
              Op::put(Db::queue, session_key(id_at_limit, 1), "d1"), Op::put(Db::inflight, session_key(id, 5), "f5")},
             hold);
    w.flush();
    CHECK(hold->error.load() == 0);
    CHECK(w.rejected_ops() == 0);
    CHECK(w.failed_commits() == 0);
    // Keys that fit keep the layout older stores have; the others are digest keys.
    auto retained_keys = raw_keys(*env, Db::retained);
    CHECK(retained_keys.size() == 2);
    CHECK(std::count(retained_keys.begin(), retained_keys.end(), at_limit) == 1);
    CHECK(std::count(retained_keys.begin(), retained_keys.end(), topic) == 0);
    auto queue_keys = raw_keys(*env, Db::queue);
    CHECK(queue_keys.size() == 3);
    CHECK(std::count(queue_keys.begin(), queue_keys.end(), session_key(id_at_limit, 1)) == 1);
    CHECK(std::count_if(queue_keys.begin(), queue_keys.end(),
                        [](const std::string& k) { return is_digest_key(Db::queue, k); }) == 2);
  }
  // Read back after a reopen: whole keys, in order within the session.
  auto env = open_env(dir.path());
  CHECK(contents(*env, Db::retained) == std::map<std::string, std::string>{{topic, "new"}, {at_limit, "plain"}});
  CHECK(contents(*env, Db::sessions) == std::map<std::string, std::string>{{id, "record"}});
  std::vector<std::string> queue_order;
  CHECK_FALSE(env->for_each(Db::queue, [&](std::string_view k, std::string_view v) {
    auto parsed = parse_session_key(k);
    REQUIRE(parsed);
    if (parsed->client_id == id) {
      queue_order.emplace_back(v);
    }
    return true;
  }));
  CHECK(queue_order == std::vector<std::string>{"q1", "q2"});
  CHECK(contents(*env, Db::inflight) == std::map<std::string, std::string>{{session_key(id, 5), "f5"}});

  Writer w(*env, WriterOptions{});
  w.submit({Op::erase(Db::retained, topic), Op::erase(Db::sessions, id),
            Op::erase_prefix(Db::queue, session_prefix(id)), Op::erase_prefix(Db::inflight, session_prefix(id))});
  w.flush();
  CHECK(contents(*env, Db::retained) == std::map<std::string, std::string>{{at_limit, "plain"}});
  CHECK(contents(*env, Db::sessions).empty());
  CHECK(contents(*env, Db::queue) == std::map<std::string, std::string>{{session_key(id_at_limit, 1), "d1"}});
  CHECK(contents(*env, Db::inflight).empty());
}

TEST_CASE("keys: two long keys with one digest never take each other's record") {
  TempDir dir;
  // Every long key collides.
  auto env = open_env(dir.path(), [](std::string_view) { return std::string(32, 'h'); });
  std::vector<std::string> errors;
  WriterOptions o;
  o.sync = true;
  o.on_error = [&](const std::string& e) { errors.push_back(e); };
  Writer w(*env, o);
  const std::string a(600, 'a');
  const std::string b(600, 'b');
  w.submit({Op::put(Db::retained, a, "A"), Op::put(Db::sessions, a, "SA"), Op::put(Db::queue, session_key(a, 1), "qa")});
  w.flush();

  auto refused = std::make_shared<Failed>();
  auto other = std::make_shared<Failed>();
  w.submit({Op::put(Db::retained, "short", "S")}, other);
  w.submit({Op::put(Db::retained, b, "B"), Op::put(Db::sessions, b, "SB")}, refused);
  w.submit({Op::put(Db::queue, session_key(b, 1), "qb")});  // its own submit: refused alone
  w.submit({Op::erase(Db::retained, b), Op::erase(Db::sessions, b), Op::erase_prefix(Db::queue, session_prefix(b))});
  w.flush();
  CHECK(refused->error.load() == key_collision);
  CHECK(other->error.load() == 0);
  CHECK(w.rejected_ops() == 3);
  CHECK(w.failed_commits() == 0);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].find("data_dir " + dir.path()) == 0);
  CHECK(errors[0].find("can never be stored") != std::string::npos);
  CHECK(errors[0].find("another key's record") != std::string::npos);
  // a's records are intact, and b's erasures did not touch them.
  CHECK(contents(*env, Db::retained) == std::map<std::string, std::string>{{a, "A"}, {"short", "S"}});
  CHECK(contents(*env, Db::sessions) == std::map<std::string, std::string>{{a, "SA"}});
  CHECK(contents(*env, Db::queue) == std::map<std::string, std::string>{{session_key(a, 1), "qa"}});

  // a itself is replaced and erased as usual.
  w.submit({Op::put(Db::retained, a, "A2")});
  w.flush();
  CHECK(contents(*env, Db::retained).at(a) == "A2");
  w.submit({Op::erase(Db::retained, a), Op::erase_prefix(Db::queue, session_prefix(a))});
  w.flush();
  CHECK(contents(*env, Db::retained) == std::map<std::string, std::string>{{"short", "S"}});
  CHECK(contents(*env, Db::queue).empty());
  // Now free, the digest key takes b.
  w.submit({Op::put(Db::retained, b, "B")});
  w.flush();
  CHECK(contents(*env, Db::retained).at(b) == "B");
}

TEST_CASE("keys: a record under a digest key without a readable envelope is reported, not misread") {
  TempDir dir;
  auto env = open_env(dir.path());
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env->handle(), nullptr, 0, &txn) == 0);
  std::string key = env->keys().stored_key(Db::retained, std::string(600, 't')).key;
  MDB_val k{key.size(), key.data()};
  MDB_val v{3, const_cast<char*>("bad")};
  REQUIRE(mdb_put(txn, env->dbi(Db::retained), &k, &v, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  auto err = env->for_each(Db::retained, [](std::string_view, std::string_view) { return true; });
  REQUIRE(err);
  CHECK(err->find("digest key") != std::string::npos);
}

}  // namespace actormq::persist
