#include <doctest/doctest.h>

#include <string>

#include "core/config/config.hpp"
#include "core/config/reload_plan.hpp"

using namespace actormq::core;

namespace {

Config parsed(const std::string& json) {
  auto c = parse_config(json);
  REQUIRE_MESSAGE(c.ok(), c.error().text());
  return std::move(c).value();
}

const char* const running_text = R"({
  "data_dir": "data", "log_level": "info",
  "listeners": [
    {"type": "tcp", "bind": "127.0.0.1", "port": 1883},
    {"type": "tcp", "bind": "127.0.0.1", "port": 1884},
    {"type": "ws", "bind": "127.0.0.1", "port": 8083}
  ]
})";

}  // namespace

TEST_CASE("reload plan: every top-level key has a class, so none is silently ignored") {
  for (const ConfigKeyDoc& doc : config_key_docs()) {
    CHECK_MESSAGE(reload_class(doc.name).has_value(), doc.name);
  }
  CHECK(reload_class("data_dir") == ReloadClass::restart);
  CHECK(reload_class("schedulers") == ReloadClass::restart);
  CHECK(reload_class("tls_handshake_threads") == ReloadClass::restart);  // the pool is made at start
  CHECK(reload_class("cluster") == ReloadClass::restart);
  CHECK(reload_class("max_packet_size") == ReloadClass::limit);
  CHECK(reload_class("log_level") == ReloadClass::live);
  CHECK_FALSE(reload_class("no_such_key").has_value());
}

TEST_CASE("reload plan: the same file changes nothing") {
  Config running = parsed(running_text);
  ReloadPlan plan = plan_reload(running, parsed(running_text));
  CHECK(plan.changed.empty());
  CHECK(plan.needs_restart.empty());
  CHECK(plan.closed.empty());
  REQUIRE(plan.kept.size() == 3);
  CHECK(plan.kept[0] == 0u);
  CHECK(plan.kept[1] == 1u);
  CHECK(plan.kept[2] == 2u);
  CHECK_FALSE(plan.limits_changed);
  CHECK_FALSE(plan.logging_changed);
}

TEST_CASE("reload plan: listeners added, removed, changed, reordered and re-authenticated") {
  Config running = parsed(running_text);
  ReloadPlan plan = plan_reload(running, parsed(R"({
    "data_dir": "data", "log_level": "info",
    "listeners": [
      {"type": "ws", "bind": "127.0.0.1", "port": 8083, "path": "/other"},
      {"type": "tcp", "bind": "127.0.0.1", "port": 1885},
      {"type": "tcp", "bind": "127.0.0.1", "port": 1883, "allow_anonymous": false, "password_file": "p"}
    ]
  })"));
  REQUIRE(plan.kept.size() == 3);
  CHECK_FALSE(plan.kept[0].has_value());  // ws: its path changed, so it closes and opens again
  CHECK_FALSE(plan.kept[1].has_value());  // new
  CHECK(plan.kept[2] == 0u);              // moved, and its authentication changes in place
  CHECK(plan.closed == std::vector<std::size_t>{1, 2});
  CHECK(plan.next.listeners[2].password_file == std::optional<std::string>("p"));
}

TEST_CASE("reload plan: restart keys keep their running value and are named") {
  Config running = parsed(running_text);
  ReloadPlan plan = plan_reload(running, parsed(R"({
    "data_dir": "elsewhere", "schedulers": 3, "durability": "sync", "log_level": "debug",
    "max_packet_size": 4096, "server_keep_alive": 30, "allow_anonymous": false,
    "cluster": {"node_name": "n1", "cookie": "c"},
    "listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": 1883}]
  })"));
  CHECK(plan.needs_restart == std::vector<std::string>{"data_dir", "durability", "schedulers", "cluster"});
  CHECK(plan.next.data_dir == "data");
  CHECK(plan.next.schedulers == running.schedulers);
  CHECK(plan.next.durability == Durability::batch);
  CHECK_FALSE(plan.next.cluster.has_value());
  CHECK(plan.changed ==
        std::vector<std::string>{"allow_anonymous", "max_packet_size", "server_keep_alive", "log_level"});
  CHECK(plan.next.max_packet_size == 4096);
  CHECK(plan.next.log_level == LogLevel::debug);
  CHECK(plan.limits_changed);
  CHECK(plan.logging_changed);
  CHECK(plan.closed == std::vector<std::size_t>{1, 2});
}

TEST_CASE("reload plan: a file that does not parse or validate never reaches a plan") {
  // What a reload reads first; any failure keeps the running configuration whole.
  for (const char* bad : {"", "{", "[]", R"({"listeners": [ not json)", R"({"max_inflight_messages": 0})",
                          R"({"listeners": []})", R"({"unknown_key": 1})",
                          R"({"listeners": [{"type": "tcp", "port": 1883}, {"type": "ws", "port": 1883}]})",
                          R"({"listeners": [{"type": "tls", "port": 8883}]})", R"({"log_level": "loud"})"}) {
    CHECK_FALSE_MESSAGE(parse_config(bad).ok(), bad);
  }
}
