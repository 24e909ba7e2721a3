// core/config/cluster.cpp: node names, derived node ids, seeds and the cookie file.
#include "core/config/cluster.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>

#include "tests/persist/test_dir.hpp"

using namespace actormq::core;
using actormq::persist::test::TempDir;

namespace {

// Writes `text` to `path` with permissions `mode`.
std::string write_file(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream(path, std::ios::binary) << text;
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
  return path;
}

std::string error_of(const Result<std::string>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error().text();
}

}  // namespace

TEST_CASE("cluster config: node names") {
  CHECK(valid_node_name("n1"));
  CHECK(valid_node_name("actormq@host-1.example_2"));
  CHECK(valid_node_name(std::string(255, 'a')));
  CHECK_FALSE(valid_node_name(std::string(256, 'a')));
  CHECK_FALSE(valid_node_name(""));
  CHECK_FALSE(valid_node_name("a b"));
  CHECK_FALSE(valid_node_name("a:b"));
  CHECK_FALSE(valid_node_name("caf\xc3\xa9"));
  CHECK_FALSE(valid_node_name(std::string("a\0b", 3)));
}

TEST_CASE("cluster config: a derived node id is fixed by the name and never 0") {
  // FNV-1a-32 of "" is 2166136261 and of "a" 3826002220: 1 + hash mod 65535.
  CHECK(derived_node_id("") == 1 + 2166136261u % 65535);
  CHECK(derived_node_id("a") == 1 + 3826002220u % 65535);
  CHECK(derived_node_id("n1") == derived_node_id("n1"));
  CHECK(derived_node_id("n1") != derived_node_id("n2"));
  std::set<std::uint16_t> ids;
  for (int i = 0; i < 1000; ++i) {
    std::uint16_t id = derived_node_id("node" + std::to_string(i));
    CHECK(id != 0);
    ids.insert(id);
  }
  CHECK(ids.size() > 980);  // spread: collisions are rare, not absent
}

TEST_CASE("cluster config: seeds parse to a host and a port") {
  CHECK(parse_seed("127.0.0.1:4371").value() == SeedAddress{"127.0.0.1", 4371});
  CHECK(parse_seed("node2.example:4370").value() == SeedAddress{"node2.example", 4370});
  CHECK(parse_seed("my_broker:1").value() == SeedAddress{"my_broker", 1});
  CHECK(parse_seed("[::1]:65535").value() == SeedAddress{"::1", 65535});
  CHECK(parse_seed("[fe80::1:2]:4370").value() == SeedAddress{"fe80::1:2", 4370});
  for (const char* bad : {"", ":", "n2", "n2:", "n2:0", "n2:65536", "n2:99999", "n2:-1", "n2:4370 ", " n2:4370",
                          "1.2.3:4370", "1.2.3.4.5:4370", "::1:4370", "[::1]", "[::1]:", "[]:4370", "[n2]:4370",
                          "[::1:4370", "n2.:4370", ".n2:4370", "n2-:4370"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_seed(bad).ok());
  }
  CHECK(parse_seed(std::string(63, 'a') + ".b:1").ok());
  CHECK_FALSE(parse_seed(std::string(64, 'a') + ".b:1").ok());
}

TEST_CASE("cluster config: cookies are one line of 1..255 bytes") {
  CHECK(check_cookie("secret").ok());
  CHECK(check_cookie(std::string(255, 'c')).ok());
  CHECK(check_cookie("").error().text() == "must not be empty");
  CHECK(check_cookie(std::string(256, 'c')).error().text() == "must be at most 255 bytes");
  CHECK(check_cookie("a\nb").error().text() == "must be one line");
  CHECK(check_cookie("a\r").error().text() == "must be one line");
}

TEST_CASE("cluster config: the cookie file is read without its final newline") {
  TempDir dir;
  CHECK(read_cookie_file(write_file(dir.sub("plain"), "secret", 0600)).value() == "secret");
  CHECK(read_cookie_file(write_file(dir.sub("lf"), "secret\n", 0600)).value() == "secret");
  CHECK(read_cookie_file(write_file(dir.sub("crlf"), "secret\r\n", 0400)).value() == "secret");
  CHECK(read_cookie_file(write_file(dir.sub("inner blanks"), " a b \n", 0600)).value() == " a b ");
  CHECK(read_cookie_file(write_file(dir.sub("longest"), std::string(255, 'c') + "\n", 0600)).value() ==
        std::string(255, 'c'));
}

TEST_CASE("cluster config: a cookie file that is missing, open to others, empty or malformed is refused") {
  TempDir dir;
  const std::string missing = dir.sub("missing");
  CHECK(error_of(read_cookie_file(missing)) == missing + ": cannot read: No such file or directory");
  CHECK(error_of(read_cookie_file(dir.path())) == dir.path() + ": not a regular file");
  const std::string fifo = dir.sub("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(error_of(read_cookie_file(fifo)) == fifo + ": not a regular file");  // and does not block

  for (mode_t mode : {0644, 0640, 0604, 0660, 0602, 0610}) {
    CAPTURE(mode);
    const std::string path = write_file(dir.sub("open"), "secret\n", mode);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    CHECK(error_of(read_cookie_file(path)) == path + ": group or others may access it (mode " + octal +
                                                 "); the cookie is the cluster's password: chmod 600 " + path);
  }
  const std::string empty = write_file(dir.sub("empty"), "", 0600);
  CHECK(error_of(read_cookie_file(empty)) == empty + ": the cookie file is empty");
  const std::string newline = write_file(dir.sub("newline"), "\n", 0600);
  CHECK(error_of(read_cookie_file(newline)) == newline + ": the cookie file is empty");
  const std::string two = write_file(dir.sub("two"), "a\nb\n", 0600);
  CHECK(error_of(read_cookie_file(two)) == two + ": the cookie must be one line");
  const std::string blank = write_file(dir.sub("blank"), "a\n\n", 0600);
  CHECK(error_of(read_cookie_file(blank)) == blank + ": the cookie must be one line");
  const std::string longer = write_file(dir.sub("long"), std::string(256, 'c') + "\n", 0600);
  CHECK(error_of(read_cookie_file(longer)) == longer + ": the cookie must be at most 255 bytes");
  const std::string huge = write_file(dir.sub("huge"), std::string(100000, 'c'), 0600);
  CHECK(error_of(read_cookie_file(huge)) == huge + ": the cookie must be at most 255 bytes");
}

TEST_CASE("cluster config: load_cookie takes the inline cookie or reads the file, naming the key") {
  TempDir dir;
  ClusterConfig cluster;
  cluster.node_name = "n1";
  CHECK(error_of(load_cookie(cluster)) == "cluster: set cookie_file or cookie");
  cluster.cookie = "inline";
  CHECK(load_cookie(cluster).value() == "inline");
  cluster.cookie = "";
  CHECK(error_of(load_cookie(cluster)) == "cluster.cookie: must not be empty");
  cluster.cookie.reset();
  cluster.cookie_file = write_file(dir.sub("cookie"), "from-file\n", 0600);
  CHECK(load_cookie(cluster).value() == "from-file");
  cluster.cookie_file = write_file(dir.sub("cookie"), "from-file\n", 0644);
  CHECK(error_of(load_cookie(cluster)).rfind("cluster.cookie_file: " + *cluster.cookie_file + ": group or others", 0) ==
        0);
}
