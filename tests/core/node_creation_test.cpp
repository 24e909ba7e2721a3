// core/config/node_creation.cpp: one more creation at each start, kept in the data directory.
#include "core/config/node_creation.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <string>

#include "tests/persist/test_dir.hpp"

using namespace actormq::core;
using actormq::persist::test::TempDir;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("node creation: 1 at the first start, one more at each start, 1 again after 255") {
  TempDir dir;
  std::string data = dir.path() + "/data";  // created if missing
  for (unsigned want = 1; want <= 255; ++want) {
    auto c = next_node_creation(data);
    REQUIRE(c.ok());
    REQUIRE(*c == want);
  }
  CHECK(read_all(data + "/node_creation") == "255\n");
  auto wrapped = next_node_creation(data);
  REQUIRE(wrapped.ok());
  CHECK(*wrapped == 1);
  CHECK(read_all(data + "/node_creation") == "1\n");
}

TEST_CASE("node creation: a file that holds no creation is an error that names it, and stays as it was") {
  TempDir dir;
  for (const char* bad : {"", "0\n", "256\n", "12x\n", "-3\n", "abc"}) {
    CAPTURE(bad);
    std::ofstream(dir.path() + "/node_creation") << bad;
    auto c = next_node_creation(dir.path());
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().text().find(dir.path() + "/node_creation: not a node creation") == 0);
    CHECK(read_all(dir.path() + "/node_creation") == bad);
  }
}

TEST_CASE("node creation: a data directory that cannot be made is an error that names it") {
  TempDir dir;
  std::ofstream(dir.path() + "/file") << "x";
  auto c = next_node_creation(dir.path() + "/file/data");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().text().find(dir.path() + "/file/data: cannot create the directory") == 0);
}

TEST_CASE("node creation: without a data directory, random in 1..255") {
  std::set<unsigned> seen;
  for (int i = 0; i < 200; ++i) {
    unsigned c = random_node_creation();
    REQUIRE(c >= 1);
    REQUIRE(c <= 255);
    seen.insert(c);
  }
  CHECK(seen.size() > 50);
}
