#include "persist/env.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include "test_dir.hpp"

namespace actormq::persist {

using test::TempDir;

namespace {
std::string error_of(const EnvOptions& o) {
  auto r = Env::open(o);
  auto* err = std::get_if<std::string>(&r);
  return err ? *err : std::string();
}
}  // namespace

TEST_CASE("open creates the directory and every named database") {
  TempDir dir;
  EnvOptions o{dir.sub("data")};
  auto r = Env::open(o);
  REQUIRE(std::holds_alternative<std::unique_ptr<Env>>(r));
  auto& env = std::get<std::unique_ptr<Env>>(r);
  for (std::size_t i = 0; i < db_names.size(); ++i) {
    int count = 0;
    CHECK_FALSE(env->for_each(static_cast<Db>(i), [&](std::string_view, std::string_view) { return ++count > 0; }));
    CHECK(count == 0);
  }
  CHECK(env->stale_readers_cleared() == 0);
}

TEST_CASE("a data_dir that is a file is refused, naming the path") {
  TempDir dir;
  std::string file = dir.sub("afile");
  std::ofstream(file) << "x";
  CHECK(error_of(EnvOptions{file}) == "data_dir " + file + ": not a directory");
}

TEST_CASE("a data_dir under a missing parent is refused, naming the path") {
  TempDir dir;
  std::string path = dir.sub("missing/data");
  std::string err = error_of(EnvOptions{path});
  CHECK(err.starts_with("data_dir " + path + ": cannot create the directory"));
}

TEST_CASE("a corrupt data.mdb stops the open with a clear message") {
  TempDir dir;
  std::ofstream(dir.sub("data.mdb")) << std::string(16384, 'Z');
  std::string err = error_of(EnvOptions{dir.path()});
  CHECK(err.starts_with("data_dir " + dir.path() + ": data.mdb is corrupt or not an LMDB file"));
}

TEST_CASE("two environments on one directory: the second is refused") {
  TempDir dir;
  auto first = Env::open(EnvOptions{dir.path()});
  REQUIRE(std::holds_alternative<std::unique_ptr<Env>>(first));
  CHECK(error_of(EnvOptions{dir.path()}) == "data_dir " + dir.path() + ": in use by another actormq process");
}

TEST_CASE("an unwritable data_dir is refused (skipped as root, who may write anywhere)") {
  if (::geteuid() == 0) {
    return;
  }
  TempDir dir;
  std::string path = dir.sub("ro");
  ::mkdir(path.c_str(), 0500);
  std::string err = error_of(EnvOptions{path});
  CHECK(err.starts_with("data_dir " + path + ": directory not writable"));
}

TEST_CASE("a scan in several read transactions sees every record once, in order, and lets the map grow between them") {
  TempDir dir;
  auto r = Env::open(EnvOptions{dir.path()});
  REQUIRE(std::holds_alternative<std::unique_ptr<Env>>(r));
  auto& env = std::get<std::unique_ptr<Env>>(r);
  {
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env->handle(), nullptr, 0, &txn) == 0);
    for (char c = 'a'; c <= 'g'; ++c) {
      std::string key(1, c);
      MDB_val k{key.size(), key.data()};
      MDB_val v{key.size(), key.data()};
      REQUIRE(mdb_put(txn, env->dbi(Db::retained), &k, &v, 0) == 0);
    }
    REQUIRE(mdb_txn_commit(txn) == 0);
  }
  std::size_t before = env->map_size();
  std::vector<std::string> seen;
  std::atomic<bool> grown{false};
  std::thread grower;
  CHECK_FALSE(env->for_each(
      Db::retained,
      [&](std::string_view k, std::string_view v) {
        CHECK(k == v);
        seen.emplace_back(k);
        if (seen.size() == 1) {
          grower = std::thread([&] { grown = env->grow_map(); });
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          CHECK_FALSE(grown.load());  // not while this transaction is open
        }
        return true;
      },
      3));
  grower.join();
  CHECK(grown.load());
  CHECK(env->map_size() == before * 2);
  CHECK(seen == std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g"});
}

}  // namespace actormq::persist
