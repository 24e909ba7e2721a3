#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "core/config/cli.hpp"

using namespace actormq::core;

namespace {

struct Run {
  CliOutcome outcome;
  std::string out;
  std::string err;
};

Run run(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"actormq"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::ostringstream out;
  std::ostringstream err;
  CliOutcome outcome = parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
  return {std::move(outcome), out.str(), err.str()};
}

class TempFile {
 public:
  explicit TempFile(const std::string& text)
      : path_("/tmp/actormq_cli_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) + ".json") {
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const char* path() const { return path_.c_str(); }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

}  // namespace

TEST_CASE("cli: no arguments start the default broker") {
  Run r = run({});
  REQUIRE(r.outcome.config);
  CHECK(r.outcome.exit_code == 0);
  CHECK(r.outcome.config_file.empty());
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  REQUIRE(r.outcome.config->listeners.size() == 1);
  CHECK(r.outcome.config->listeners[0].bind == "127.0.0.1");
  CHECK(r.outcome.config->listeners[0].port == 1883);
  CHECK(r.outcome.config->log_level == LogLevel::info);
}

TEST_CASE("cli: --help and --version print and exit 0") {
  Run help = run({"--help"});
  CHECK_FALSE(help.outcome.config);
  CHECK(help.outcome.exit_code == 0);
  for (const char* option : {"--config", "--bind", "--port", "--data-dir", "--durability", "--node-name",
                             "--cluster-port", "--seed", "--cookie-file", "--verbose", "--version"}) {
    CAPTURE(option);
    CHECK(help.out.find(option) != std::string::npos);
  }
  Run version = run({"--version"});
  CHECK_FALSE(version.outcome.config);
  CHECK(version.outcome.exit_code == 0);
  CHECK(version.out == version_text() + "\n");
  CHECK(version.out.rfind("actormq ", 0) == 0);
#ifdef ACTORMQ_TLS_OPENSSL
  CHECK(version.out.find(" (TLS listeners: openssl; malloc: ") != std::string::npos);
#else
  CHECK(version.out.find(" (TLS listeners: mbedtls; malloc: ") != std::string::npos);
#endif
}

TEST_CASE("cli: options override the defaults") {
  Run r = run({"--bind", "0.0.0.0", "--port", "1999", "--data-dir", "/var/lib/actormq", "--durability", "sync", "-v"});
  REQUIRE_MESSAGE(r.outcome.config, r.err);
  const Config& c = *r.outcome.config;
  REQUIRE(c.listeners.size() == 1);
  CHECK(c.listeners[0].bind == "0.0.0.0");
  CHECK(c.listeners[0].port == 1999);
  CHECK(c.data_dir == "/var/lib/actormq");
  CHECK(c.durability == Durability::sync);
  CHECK(c.log_level == LogLevel::debug);
}

TEST_CASE("cli: options override the file, and --port changes the first tcp listener") {
  TempFile file(R"({"listeners": [{"type": "ws", "port": 8083}, {"type": "tcp", "port": 1883},
                                  {"type": "tcp", "port": 1884}],
                    "durability": "none", "log_level": "error", "data_dir": "d1"})");
  Run plain = run({"--config", file.path()});
  REQUIRE_MESSAGE(plain.outcome.config, plain.err);
  CHECK(plain.outcome.config->durability == Durability::none);
  CHECK(plain.outcome.config->log_level == LogLevel::error);
  CHECK(plain.outcome.config_file == file.path());  // read again on SIGHUP (the bridges)

  Run r = run({"-c", file.path(), "--port", "2883", "--durability", "batch", "--verbose"});
  REQUIRE_MESSAGE(r.outcome.config, r.err);
  const Config& c = *r.outcome.config;
  REQUIRE(c.listeners.size() == 3);
  CHECK(c.listeners[0].port == 8083);
  CHECK(c.listeners[1].port == 2883);
  CHECK(c.listeners[2].port == 1884);
  CHECK(c.durability == Durability::batch);
  CHECK(c.log_level == LogLevel::debug);
  CHECK(c.data_dir == "d1");
}

TEST_CASE("cli: --port adds a local tcp listener when the file has none") {
  TempFile file(R"({"listeners": [{"type": "ws", "port": 8083}]})");
  Run r = run({"--config", file.path(), "--port", "1999"});
  REQUIRE_MESSAGE(r.outcome.config, r.err);
  const auto& l = r.outcome.config->listeners;
  REQUIRE(l.size() == 2);
  CHECK(l[0].type == ListenerType::tcp);
  CHECK(l[0].bind == "127.0.0.1");
  CHECK(l[0].port == 1999);
  CHECK(l[1].type == ListenerType::ws);

  Config base;
  base.listeners = {ListenerConfig(ListenerType::ws)};
  CliOverrides bind_only;
  bind_only.bind = "10.1.2.3";
  Config bound = apply_overrides(base, bind_only);
  REQUIRE(bound.listeners.size() == 2);
  CHECK(bound.listeners[0].bind == "10.1.2.3");
  CHECK(bound.listeners[0].port == 1883);
  CHECK(apply_overrides(base, CliOverrides{}).listeners.size() == 1);
}

TEST_CASE("cli: bad command lines exit with the usage code") {
  for (auto args : {std::initializer_list<const char*>{"--port", "0"}, {"--port", "65536"}, {"--port", "http"},
                    {"--durability", "fast"}, {"--frobnicate"}, {"--config"}, {"stray"}}) {
    Run r = run(args);
    CHECK_FALSE(r.outcome.config);
    CHECK(r.outcome.exit_code == exit_usage);
    CHECK_FALSE(r.err.empty());
  }
}

TEST_CASE("cli: configuration errors exit with the config code and name the key") {
  Run missing = run({"--config", "/nonexistent/actormq.json"});
  CHECK_FALSE(missing.outcome.config);
  CHECK(missing.outcome.exit_code == exit_bad_config);
  CHECK(missing.err.find("/nonexistent/actormq.json") != std::string::npos);

  TempFile bad(R"({"listeners": [{"port": 1883}, {"port": 99999}]})");
  Run invalid = run({"--config", bad.path()});
  CHECK(invalid.outcome.exit_code == exit_bad_config);
  CHECK(invalid.err.find("listeners[1].port: must be 1..65535") != std::string::npos);

  TempFile two(R"({"listeners": [{"port": 1883}, {"type": "ws", "port": 8083}]})");
  Run clash = run({"--config", two.path(), "--port", "8083"});
  CHECK_FALSE(clash.outcome.config);
  CHECK(clash.outcome.exit_code == exit_bad_config);
  CHECK(clash.err == "command line: listeners[1].port: 8083 is already used by listeners[0]\n");
}

TEST_CASE("cli: the cluster options make a cluster of their own") {
  Run r = run({"--node-name", "n1", "--cluster-port", "4380", "--seed", "10.0.0.2:4370", "--seed", "[::1]:4371",
               "--cookie-file", "/etc/actormq/cookie"});
  REQUIRE_MESSAGE(r.outcome.config, r.err);
  REQUIRE(r.outcome.config->cluster);
  const ClusterConfig& c = *r.outcome.config->cluster;
  CHECK(c.node_name == "n1");
  CHECK(c.port == 4380);
  CHECK(c.seeds == std::vector<std::string>{"10.0.0.2:4370", "[::1]:4371"});
  CHECK(c.cookie_file == "/etc/actormq/cookie");
  CHECK_FALSE(c.cookie);
  CHECK(c.bind == "0.0.0.0");  // the rest: the cluster key table's defaults
  CHECK(c.heartbeat_ms == 1000);
  CHECK_FALSE(run({}).outcome.config->cluster);
}

TEST_CASE("cli: the cluster options override the file, --seed replacing its list") {
  TempFile file(R"({"cluster": {"node_name": "file-node", "port": 4370, "seeds": ["a:1", "b:2", "c:3"],
                                "cookie": "inline", "heartbeat_ms": 500}})");
  Run plain = run({"--config", file.path()});
  REQUIRE_MESSAGE(plain.outcome.config, plain.err);
  CHECK(plain.outcome.config->cluster->seeds.size() == 3);
  CHECK(plain.outcome.config->cluster->cookie == "inline");

  Run r = run({"--config", file.path(), "--node-name", "cli-node", "--seed", "d:4"});
  REQUIRE_MESSAGE(r.outcome.config, r.err);
  const ClusterConfig& c = *r.outcome.config->cluster;
  CHECK(c.node_name == "cli-node");
  CHECK(c.seeds == std::vector<std::string>{"d:4"});
  CHECK(c.port == 4370);
  CHECK(c.heartbeat_ms == 500);
  CHECK(c.cookie == "inline");

  // --cookie-file replaces the file's inline cookie: a cluster has one.
  Run cookie = run({"--config", file.path(), "--cookie-file", "cookie", "--cluster-port", "4999"});
  REQUIRE_MESSAGE(cookie.outcome.config, cookie.err);
  CHECK(cookie.outcome.config->cluster->cookie_file == "cookie");
  CHECK_FALSE(cookie.outcome.config->cluster->cookie);
  CHECK(cookie.outcome.config->cluster->port == 4999);
  CHECK(cookie.outcome.config->cluster->seeds.size() == 3);

  ClusterConfig both;
  both.cookie = "x";
  Config base;
  base.cluster = both;
  CliOverrides seeds_only;
  seeds_only.seeds = std::vector<std::string>{};
  CHECK(apply_overrides(base, seeds_only).cluster->seeds.empty());
  CHECK(apply_overrides(base, seeds_only).cluster->cookie == "x");
  CHECK_FALSE(apply_overrides(Config{}, CliOverrides{}).cluster);
}

TEST_CASE("cli: bad cluster options are refused, naming the key") {
  for (auto args : {std::initializer_list<const char*>{"--cluster-port", "0"}, {"--cluster-port", "65536"},
                    {"--cluster-port", "x"}, {"--seed"}, {"--seed", "a:1", "b:2"}, {"--node-name"}}) {
    Run r = run(args);
    CHECK_FALSE(r.outcome.config);
    CHECK(r.outcome.exit_code == exit_usage);
    CHECK_FALSE(r.err.empty());
  }
  Run name = run({"--node-name", "a b", "--cookie-file", "c"});
  CHECK_FALSE(name.outcome.config);
  CHECK(name.outcome.exit_code == exit_bad_config);
  CHECK(name.err == "command line: cluster.node_name: must be 1..255 letters, digits, '.', '_', '-' or '@'\n");

  Run seed = run({"--node-name", "n1", "--cookie-file", "c", "--seed", "n2"});
  CHECK(seed.outcome.exit_code == exit_bad_config);
  CHECK(seed.err.find("command line: cluster.seeds[0]: must be host:port") == 0);

  Run no_cookie = run({"--node-name", "n1"});
  CHECK(no_cookie.outcome.exit_code == exit_bad_config);
  CHECK(no_cookie.err == "command line: cluster: cookie_file or cookie is required (the cluster's shared secret)\n");

  Run no_name = run({"--seed", "n2:4370", "--cookie-file", "c"});
  CHECK(no_name.outcome.exit_code == exit_bad_config);
  CHECK(no_name.err == "command line: cluster.node_name: must be a non-empty string\n");

  Run clash = run({"--node-name", "n1", "--cookie-file", "c", "--cluster-port", "1883"});
  CHECK(clash.outcome.exit_code == exit_bad_config);
  CHECK(clash.err == "command line: cluster.port: 1883 is already used by listeners[0]\n");
}
