#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <unistd.h>

#include "core/config/cluster.hpp"
#include "core/config/config.hpp"

using namespace actormq::core;

namespace {

// The configuration shown in DESIGN.md and README, verbatim.
constexpr const char* documented_example = R"({
  "listeners": [
    {"type": "tcp", "bind": "127.0.0.1", "port": 1883},
    {"type": "tls", "bind": "0.0.0.0", "port": 8883, "certfile": "server.crt", "keyfile": "server.key",
     "cafile": "ca.crt", "require_certificate": false, "use_identity_as_username": false},
    {"type": "ws",  "port": 8083, "path": "/mqtt"},
    {"type": "wss", "port": 8084, "path": "/mqtt", "certfile": "server.crt", "keyfile": "server.key"}
  ],
  "allow_anonymous": true,
  "password_file": "passwd",
  "acl_file": "acl",
  "data_dir": "data",
  "durability": "batch",
  "max_packet_size": 2097152,
  "max_inflight_messages": 20,
  "max_queued_messages": 1000,
  "log_level": "info"
})";

// The failure's messages, one per line; "" when the config was accepted.
std::string text_of(const Result<Config>& r) { return r.ok() ? std::string() : r.error().text(); }

std::string errors_of(std::string_view text) {
  Result<Config> r = parse_config(text);
  CHECK_FALSE(r.ok());
  return text_of(r);
}

std::string with_listener(const std::string& listener) { return R"({"listeners": [)" + listener + "]}"; }

}  // namespace

TEST_CASE("config: no file at all is one tcp listener on 127.0.0.1:1883") {
  Config c;
  REQUIRE(c.listeners.size() == 1);
  CHECK(c.listeners[0].type == ListenerType::tcp);
  CHECK(c.listeners[0].bind == "127.0.0.1");
  CHECK(c.listeners[0].port == 1883);
  CHECK(c.listeners[0].path.empty());
  CHECK(c.allow_anonymous);
  CHECK(c.data_dir == "data");
  CHECK(c.durability == Durability::batch);
  CHECK(c.max_packet_size == 2097152);
  CHECK(c.max_inflight_messages == 20);
  CHECK(c.max_queued_messages == 1000);
  CHECK(c.max_queued_bytes == 8388608);
  CHECK(c.log_level == LogLevel::info);
  CHECK(c.log_file.empty());
  CHECK(c.schedulers == 0);
  CHECK(c.reduction_budget == 2000);
  CHECK(c.max_connections == -1);
  CHECK(c.max_topic_levels == 128);
  CHECK(c.max_topic_alias == 10);
  CHECK(c.sys_interval == 10);
  CHECK(c.shared_subscription_strategy == SharedSubscriptionStrategy::round_robin);
  CHECK_FALSE(c.queue_qos0);
  CHECK(c.session_expiry_max == 4294967295);
  CHECK(validate_config(c).ok());

  Result<Config> empty = parse_config("{}");
  REQUIRE(empty.ok());
  CHECK(empty.value().listeners.size() == 1);
  CHECK(empty.value().listeners[0].port == 1883);
}

TEST_CASE("config: the documented example parses as written") {
  Result<Config> r = parse_config(documented_example);
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  const Config& c = r.value();
  REQUIRE(c.listeners.size() == 4);
  CHECK(c.listeners[0].type == ListenerType::tcp);
  CHECK(c.listeners[1].type == ListenerType::tls);
  CHECK(c.listeners[1].bind == "0.0.0.0");
  CHECK(c.listeners[1].port == 8883);
  CHECK(c.listeners[1].certfile == "server.crt");
  CHECK(c.listeners[1].keyfile == "server.key");
  CHECK(c.listeners[1].cafile == "ca.crt");
  CHECK_FALSE(c.listeners[1].require_certificate);
  CHECK(c.listeners[2].type == ListenerType::ws);
  CHECK(c.listeners[2].path == "/mqtt");
  CHECK(c.listeners[2].bind == "0.0.0.0");
  CHECK(c.listeners[3].is_tls());
  CHECK(c.listeners[3].is_websocket());
  CHECK(c.password_file == "passwd");
  CHECK(c.acl_file == "acl");
}

TEST_CASE("config: listener defaults depend on the type") {
  Result<Config> r = parse_config(R"({"listeners": [{"type": "ws"}, {"type": "wss", "certfile": "c", "keyfile": "k"},
                                                  {"type": "tls", "certfile": "c", "keyfile": "k"}, {}]})");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  const auto& l = r.value().listeners;
  CHECK(l[0].port == 8083);
  CHECK(l[0].path == "/mqtt");
  CHECK(l[1].port == 8084);
  CHECK(l[2].port == 8883);
  CHECK(l[2].path.empty());
  CHECK(l[3].type == ListenerType::tcp);
  CHECK(l[3].port == 1883);
  CHECK(default_port(ListenerType::wss) == 8084);
}

TEST_CASE("config: a listener overrides authentication settings") {
  Result<Config> r = parse_config(R"({"allow_anonymous": false, "password_file": "p", "acl_file": "a",
      "listeners": [{"port": 1883}, {"port": 1884, "allow_anonymous": true, "password_file": "",
                     "acl_file": "a2", "max_connections": 10}]})");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  const Config& c = r.value();
  CHECK_FALSE(c.allow_anonymous_for(c.listeners[0]));
  CHECK(c.password_file_for(c.listeners[0]) == "p");
  CHECK(c.acl_file_for(c.listeners[0]) == "a");
  CHECK(c.listeners[0].max_connections == -1);
  CHECK(c.allow_anonymous_for(c.listeners[1]));
  CHECK(c.password_file_for(c.listeners[1]).empty());
  CHECK(c.acl_file_for(c.listeners[1]) == "a2");
  CHECK(c.listeners[1].max_connections == 10);
}

TEST_CASE("config: a listener with authentication of its own does not inherit scram_file") {
  Result<Config> r = parse_config(R"({"scram_file": "s", "listeners": [{"port": 1883},
      {"port": 1884, "password_file": "p2"}, {"port": 1885, "allow_anonymous": false},
      {"port": 1886, "password_file": "p2", "scram_file": "s2"}, {"port": 1887, "scram_file": ""},
      {"port": 1888, "acl_file": "a2"}]})");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  const Config& c = r.value();
  CHECK(c.scram_file_for(c.listeners[0]) == "s");
  CHECK(c.scram_file_for(c.listeners[1]).empty());
  CHECK(c.scram_file_for(c.listeners[2]).empty());
  CHECK(c.scram_file_for(c.listeners[3]) == "s2");
  CHECK(c.scram_file_for(c.listeners[4]).empty());
  CHECK(c.scram_file_for(c.listeners[5]) == "s");  // an ACL decides access, not who connects
  CHECK(c.password_file_for(c.listeners[4]).empty());  // the top-level one: none
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "cafile": "ca",
      "require_certificate": true, "use_identity_as_username": true, "scram_file": "s"})")) ==
        "listeners[0].scram_file: not with use_identity_as_username");
}

TEST_CASE("config: every key and value kind is read") {
  Result<Config> r = parse_config(R"({
    "durability": "sync", "log_level": "debug", "log_file": "/var/log/actormq.log",
    "shared_subscription_strategy": "hash_clientid", "schedulers": 4, "reduction_budget": 500,
    "router_pool_size": 2, "max_connections": 100000, "max_topic_levels": 16, "max_subscriptions_per_client": 50,
    "max_topic_alias": 0, "receive_maximum": 100, "max_keepalive": 600, "server_keep_alive": 60,
    "session_expiry_max": 3600, "message_expiry_max": 86400, "retain_available": false,
    "wildcard_subscription_available": false, "shared_subscription_available": false,
    "subscription_identifiers_available": false, "queue_qos0": true, "sys_interval": 0,
    "server_reference": "other:1883", "commit_interval_ms": 5, "commit_max_ops": 10, "connect_timeout_ms": 3000,
    "tls_handshake_threads": 3
  })");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  const Config& c = r.value();
  CHECK(c.durability == Durability::sync);
  CHECK(c.log_level == LogLevel::debug);
  CHECK(c.log_file == "/var/log/actormq.log");
  CHECK(c.shared_subscription_strategy == SharedSubscriptionStrategy::hash_clientid);
  CHECK(c.schedulers == 4);
  CHECK(c.reduction_budget == 500);
  CHECK(c.router_pool_size == 2);
  CHECK(c.tls_handshake_threads == 3);
  CHECK(c.max_connections == 100000);
  CHECK(c.max_topic_levels == 16);
  CHECK(c.max_subscriptions_per_client == 50);
  CHECK(c.max_topic_alias == 0);
  CHECK(c.receive_maximum == 100);
  CHECK(c.max_keepalive == 600);
  CHECK(c.server_keep_alive == 60);
  CHECK(c.session_expiry_max == 3600);
  CHECK(c.message_expiry_max == 86400);
  CHECK_FALSE(c.retain_available);
  CHECK_FALSE(c.wildcard_subscription_available);
  CHECK_FALSE(c.shared_subscription_available);
  CHECK_FALSE(c.subscription_identifiers_available);
  CHECK(c.queue_qos0);
  CHECK(c.sys_interval == 0);
  CHECK(c.server_reference == "other:1883");
  CHECK(c.commit_interval_ms == 5);
  CHECK(c.commit_max_ops == 10);
  CHECK(c.connect_timeout_ms == 3000);
}

TEST_CASE("config: errors name the key") {
  CHECK(errors_of(with_listener(R"({"type": "tcp"}, {"type": "tcp", "port": 70000})")) ==
        "listeners[1].port: must be 1..65535");
  CHECK(errors_of(with_listener(R"({"port": 0})")) == "listeners[0].port: must be 1..65535");
  CHECK(errors_of(with_listener(R"({"port": "1883"})")) == "listeners[0].port: must be an integer, 1..65535");
  CHECK(errors_of(with_listener(R"({"port": 1883.0})")) == "listeners[0].port: must be an integer, 1..65535");
  CHECK(errors_of(R"({"frobnicate": 1})") == "frobnicate: unknown key");
  CHECK(errors_of(with_listener(R"({"prot": 1883})")) == "listeners[0].prot: unknown key");
  CHECK(errors_of(with_listener(R"({"type": "udp"})")) == "listeners[0].type: must be one of tcp, tls, ws, wss, http, https");
  CHECK(errors_of(R"({"durability": "fast"})") == "durability: must be one of none, batch, sync");
  CHECK(errors_of(R"({"durability": 1})") == "durability: must be one of none, batch, sync");
  CHECK(errors_of(R"({"log_level": "verbose"})") ==
        "log_level: must be one of error, warning, notice, info, debug");
  CHECK(errors_of(R"({"shared_subscription_strategy": "sticky"})") ==
        "shared_subscription_strategy: must be one of round_robin, random, hash_clientid");
  CHECK(errors_of(R"({"allow_anonymous": "yes"})") == "allow_anonymous: must be true or false");
  CHECK(errors_of(R"({"data_dir": ""})") == "data_dir: must be a non-empty string");
  CHECK(errors_of(R"({"password_file": 7})") == "password_file: must be a string");
  CHECK(errors_of(R"({"max_inflight_messages": 0})") == "max_inflight_messages: must be 1..65535");
  CHECK(errors_of(R"({"max_connections": -2})") == "max_connections: must be -1..2147483647");
  CHECK(errors_of(R"({"session_expiry_max": 4294967296})") == "session_expiry_max: must be 0..4294967295");
  CHECK(errors_of(R"({"max_packet_size": 18446744073709551615})") == "max_packet_size: must be 64..268435460");
  CHECK(errors_of(R"({"listeners": {}})") == "listeners: must be an array of listener objects");
  CHECK(errors_of(R"({"listeners": [1883]})") == "listeners[0]: must be an object");
  CHECK(errors_of(R"({"listeners": []})") == "listeners: must contain at least one listener");
  CHECK(errors_of(with_listener(R"({"allow_anonymous": 1})")) == "listeners[0].allow_anonymous: must be true or false");
  CHECK(errors_of(R"({"max_keepalive": 60, "server_keep_alive": 120})") ==
        "server_keep_alive: must not exceed max_keepalive (60)");
}

TEST_CASE("config: every error is reported, not only the first") {
  auto text = errors_of(R"({"port": 1, "max_topic_levels": 0, "listeners": [{"port": -1, "bogus": true}]})");
  CHECK(text.find("port: unknown key") != std::string::npos);
  CHECK(text.find("max_topic_levels: must be 1..65535") != std::string::npos);
  CHECK(text.find("listeners[0].port: must be 1..65535") != std::string::npos);
  CHECK(text.find("listeners[0].bogus: unknown key") != std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 3);
}

TEST_CASE("config: TLS and WebSocket rules") {
  CHECK(errors_of(with_listener(R"({"type": "tls"})")) ==
        "listeners[0].certfile: required for a tls listener\nlisteners[0].keyfile: required for a tls listener");
  CHECK(errors_of(with_listener(R"({"type": "wss", "certfile": "c"})")) ==
        "listeners[0].keyfile: required for a wss listener");
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "require_certificate": true})")) ==
        "listeners[0].cafile: required (or capath) when require_certificate is true");
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k",
                                    "use_identity_as_username": true})")) ==
        "listeners[0].use_identity_as_username: needs require_certificate true or psk_hint");
  CHECK(errors_of(with_listener(R"({"type": "tcp", "certfile": "c"})")) ==
        "listeners[0].certfile: only for tls, wss and https listeners");
  CHECK(errors_of(with_listener(R"({"type": "ws", "require_certificate": true})")) ==
        "listeners[0].require_certificate: only for tls, wss and https listeners");
  CHECK(errors_of(with_listener(R"({"type": "tcp", "path": "/mqtt"})")) ==
        "listeners[0].path: only for ws and wss listeners");
  CHECK(errors_of(with_listener(R"({"type": "ws", "path": "mqtt"})")) == "listeners[0].path: must start with '/'");
  CHECK(parse_config(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "cafile": "ca",
                                       "require_certificate": true, "use_identity_as_username": true})"))
            .ok());
}

TEST_CASE("config: two listeners may not share an address and port") {
  CHECK(errors_of(with_listener(R"({"port": 1883}, {"port": 1884}, {"type": "ws", "port": 1883})")) ==
        "listeners[2].port: 1883 is already used by listeners[0]");
  CHECK(errors_of(with_listener(R"({"bind": "127.0.0.1", "port": 1883}, {"bind": "0.0.0.0", "port": 1883})")) ==
        "listeners[1].port: 1883 is already used by listeners[0]");
  CHECK(parse_config(with_listener(R"({"bind": "127.0.0.1", "port": 1883}, {"bind": "10.0.0.1", "port": 1883})"))
            .ok());
}

TEST_CASE("config: malformed documents") {
  CHECK(errors_of("{").find("config: invalid JSON") == 0);
  CHECK(errors_of("[]") == "config: the top level must be a JSON object");
  CHECK(errors_of("") .find("config: invalid JSON") == 0);
  Result<Config> commented = parse_config("{ // the port\n \"sys_interval\": 5 /* seconds */ }");
  REQUIRE_MESSAGE(commented.ok(), commented.error().text());
  CHECK(commented.value().sys_interval == 5);
}

TEST_CASE("config: a number too large for a double is an error, not an exception") {
  // nlohmann/json throws out_of_range (406), not parse_error, for it
  // (found by tests/fuzz/fuzz_config.cpp).
  CHECK(errors_of("{\"sys_interval\": 18e822}").find("config: invalid JSON") == 0);
  CHECK(errors_of("{\"x\": [-1e400]}").find("config: invalid JSON") == 0);
}

TEST_CASE("config: validate_config checks values set in code") {
  Config c;
  CHECK(validate_config(c).ok());
  c.max_topic_levels = 0;
  c.listeners.push_back(ListenerConfig(ListenerType::tls));
  c.listeners.back().port = 0;
  c.data_dir.clear();
  auto valid = validate_config(c);
  REQUIRE_FALSE(valid.ok());
  const auto& errors = valid.error().messages();
  std::set<std::string> got(errors.begin(), errors.end());
  CHECK(got == std::set<std::string>{"max_topic_levels: must be 1..65535", "data_dir: must be a non-empty string",
                                     "listeners[1].port: must be 1..65535",
                                     "listeners[1].certfile: required for a tls listener",
                                     "listeners[1].keyfile: required for a tls listener"});
}

TEST_CASE("config: load_config reads a file and prefixes errors with its path") {
  const std::string path = "/tmp/actormq_config_test_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream(path) << R"({"listeners": [{"port": 1999}], "data_dir": "/tmp/x"})";
  }
  Result<Config> ok = load_config(path);
  REQUIRE_MESSAGE(ok.ok(), ok.error().text());
  CHECK(ok.value().listeners[0].port == 1999);
  CHECK(ok.value().listeners[0].bind == "0.0.0.0");
  CHECK(ok.value().data_dir == "/tmp/x");
  {
    std::ofstream(path) << R"({"max_queued_messages": 0})";
  }
  Result<Config> bad = load_config(path);
  CHECK(text_of(bad) == path + ": max_queued_messages: must be 1..2147483647");
  std::remove(path.c_str());
  Result<Config> missing = load_config(path);
  CHECK_FALSE(missing.ok());
  CHECK(text_of(missing).find("cannot read " + path) != std::string::npos);
}

TEST_CASE("config: the key table documents every key and its defaults parse back") {
  std::set<std::string_view> names;
  std::string document = "{";
  for (const auto& doc : config_key_docs()) {
    CAPTURE(doc.name);
    CHECK(names.insert(doc.name).second);
    CHECK_FALSE(doc.description.empty());
    CHECK_FALSE(doc.type.empty());
    REQUIRE_FALSE(doc.default_value.empty());
    document += (document.size() > 1 ? ", \"" : "\"") + std::string(doc.name) + "\": " + std::string(doc.default_value);
  }
  document += "}";
  // Writing every default explicitly must give exactly the default configuration.
  Result<Config> r = parse_config(document);
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  const Config defaults;
  CHECK(r.value().max_packet_size == defaults.max_packet_size);
  CHECK(r.value().listeners.size() == 1);
  CHECK(r.value().listeners[0].bind == "127.0.0.1");
  for (const char* key : {"listeners", "allow_anonymous", "password_file", "acl_file", "data_dir", "durability",
                          "max_packet_size", "max_inflight_messages", "max_queued_messages", "max_queued_bytes", "log_level", "schedulers",
                          "reduction_budget", "router_pool_size", "tls_handshake_threads", "max_connections", "max_topic_levels",
                          "max_subscriptions_per_client", "max_topic_alias", "receive_maximum", "max_keepalive",
                          "server_keep_alive", "session_expiry_max", "message_expiry_max", "retain_available",
                          "wildcard_subscription_available", "shared_subscription_available",
                          "shared_subscription_strategy", "queue_qos0", "sys_interval", "log_file", "server_reference",
                          "commit_interval_ms", "commit_max_ops", "scram_file", "max_publish_rate",
                          "max_publish_bytes_rate", "cluster"}) {
    CAPTURE(key);
    CHECK(names.count(key) == 1);
  }
  std::set<std::string_view> listener_names;
  for (const auto& doc : listener_key_docs()) {
    listener_names.insert(doc.name);
    CHECK_FALSE(doc.description.empty());
  }
  for (const char* key : {"type", "bind", "port", "path", "certfile", "keyfile", "keyfile_password", "cafile",
                          "capath", "crlfile", "tls_version", "psk_hint", "psk_file", "require_certificate",
                          "use_identity_as_username", "ciphers", "allow_anonymous", "password_file", "acl_file",
                          "scram_file", "max_connections", "max_connection_rate", "allowed_origins"}) {
    CAPTURE(key);
    CHECK(listener_names.count(key) == 1);
  }
}

TEST_CASE("config: ciphers belong to tls and wss listeners") {
  Result<Config> ok = parse_config(with_listener(
      R"({"type": "tls", "certfile": "c", "keyfile": "k", "ciphers": "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"})"));
  REQUIRE_MESSAGE(ok.ok(), ok.error().text());
  CHECK(ok.value().listeners[0].ciphers == "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
  CHECK(errors_of(with_listener(R"({"type": "tcp", "ciphers": "x"})")).find("listeners[0].ciphers: only for tls, wss and https") !=
        std::string::npos);
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "ciphers": 5})")).find(
            "listeners[0].ciphers:") != std::string::npos);
}

TEST_CASE("config: allowed_origins is a list of strings for ws and wss, max_connection_rate a count") {
  Result<Config> ok = parse_config(with_listener(
      R"({"type": "ws", "allowed_origins": ["https://a.example", "https://b.example"], "max_connection_rate": 50})"));
  REQUIRE_MESSAGE(ok.ok(), ok.error().text());
  CHECK(ok.value().listeners[0].allowed_origins == std::vector<std::string>{"https://a.example", "https://b.example"});
  CHECK(ok.value().listeners[0].max_connection_rate == 50);
  CHECK(Config().listeners[0].max_connection_rate == 0);
  CHECK(Config().listeners[0].allowed_origins.empty());
  CHECK(errors_of(with_listener(R"({"type": "tcp", "allowed_origins": ["x"]})"))
            .find("listeners[0].allowed_origins: only for ws and wss") != std::string::npos);
  CHECK(errors_of(with_listener(R"({"type": "ws", "allowed_origins": "https://a.example"})"))
            .find("listeners[0].allowed_origins: must be an array of strings") != std::string::npos);
  CHECK(errors_of(with_listener(R"({"type": "ws", "allowed_origins": [1]})"))
            .find("must be an array of strings") != std::string::npos);
  CHECK(errors_of(with_listener(R"({"type": "tcp", "max_connection_rate": -1})"))
            .find("listeners[0].max_connection_rate: must be 0..2147483647") != std::string::npos);
}

namespace {

// A cluster object with the keys given after the required ones.
std::string with_cluster(const std::string& keys) {
  return R"({"cluster": {"node_name": "n1", "cookie": "secret")" + (keys.empty() ? "" : ", " + keys) + "}}";
}

}  // namespace

TEST_CASE("config: no cluster object is a single node, null says so too") {
  CHECK_FALSE(Config().cluster);
  Result<Config> r = parse_config(R"({"cluster": null})");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  CHECK_FALSE(r.value().cluster);
  CHECK(errors_of(R"({"cluster": []})") == "cluster: must be an object or null");
  CHECK(errors_of(R"({"cluster": "n1"})") == "cluster: must be an object or null");
}

TEST_CASE("config: the cluster keys of DESIGN.md parse as written") {
  Result<Config> r = parse_config(R"({"cluster": {
    "node_name": "n1", "bind": "127.0.0.1", "port": 4370,
    "seeds": ["127.0.0.1:4371"], "cookie_file": "cookie",
    "tls": {"certfile": "node.crt", "keyfile": "node.key", "cafile": "ca.crt"},
    "heartbeat_ms": 1000, "node_down_after_ms": 5000
  }})");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  REQUIRE(r.value().cluster);
  const ClusterConfig& c = *r.value().cluster;
  CHECK(c.node_name == "n1");
  CHECK(c.bind == "127.0.0.1");
  CHECK(c.port == 4370);
  CHECK(c.seeds == std::vector<std::string>{"127.0.0.1:4371"});
  CHECK(c.cookie_file == "cookie");
  CHECK_FALSE(c.cookie);
  REQUIRE(c.tls);
  CHECK(c.tls->certfile == "node.crt");
  CHECK(c.tls->keyfile == "node.key");
  CHECK(c.tls->cafile == "ca.crt");
  CHECK(c.heartbeat_ms == 1000);
  CHECK(c.node_down_after_ms == 5000);
  CHECK_FALSE(c.node_id);
}

TEST_CASE("config: cluster defaults, an inline cookie and node_id") {
  Result<Config> r = parse_config(with_cluster(""));
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  const ClusterConfig& c = *r.value().cluster;
  CHECK(c.bind == "0.0.0.0");
  CHECK(c.port == 4370);
  CHECK(c.seeds.empty());
  CHECK(c.cookie == "secret");
  CHECK_FALSE(c.cookie_file);
  CHECK_FALSE(c.tls);
  CHECK(c.heartbeat_ms == 1000);
  CHECK(c.node_down_after_ms == 5000);
  CHECK_FALSE(c.node_id);
  CHECK(c.resolved_node_id() == derived_node_id("n1"));
  CHECK(c.resolved_node_id() != 0);

  Result<Config> with_id = parse_config(with_cluster(R"("node_id": 65535, "tls": null)"));
  REQUIRE_MESSAGE(with_id.ok(), with_id.error().text());
  CHECK(with_id.value().cluster->node_id == 65535);
  CHECK(with_id.value().cluster->resolved_node_id() == 65535);
  CHECK_FALSE(with_id.value().cluster->tls);
  CHECK(parse_config(with_cluster(R"("node_id": 1)")).value().cluster->resolved_node_id() == 1);
}

TEST_CASE("config: cluster node names and ids out of their rules are refused") {
  CHECK(errors_of(R"({"cluster": {"cookie": "s"}})") == "cluster.node_name: must be a non-empty string");
  CHECK(errors_of(R"({"cluster": {"node_name": "", "cookie": "s"}})") ==
        "cluster.node_name: must be a non-empty string");
  for (const char* name : {"a b", "a/b", "caf\\u00e9", "n1:4370"}) {
    CAPTURE(name);
    CHECK(errors_of(R"({"cluster": {"cookie": "s", "node_name": ")" + std::string(name) + "\"}}") ==
          "cluster.node_name: must be 1..255 letters, digits, '.', '_', '-' or '@'");
  }
  CHECK(errors_of(R"({"cluster": {"cookie": "s", "node_name": ")" + std::string(256, 'a') + "\"}}") ==
        "cluster.node_name: must be 1..255 letters, digits, '.', '_', '-' or '@'");
  CHECK(parse_config(R"({"cluster": {"cookie": "s", "node_name": ")" + std::string(255, 'a') + "\"}}").ok());
  CHECK(parse_config(R"({"cluster": {"cookie": "s", "node_name": "actormq@host-1.example_2"}})").ok());
  CHECK(errors_of(with_cluster(R"("node_id": 0)")) == "cluster.node_id: must be 1..65535");
  CHECK(errors_of(with_cluster(R"("node_id": 65536)")) == "cluster.node_id: must be 1..65535");
  CHECK(errors_of(with_cluster(R"("node_id": "7")")) == "cluster.node_id: must be an integer, 1..65535");
}

TEST_CASE("config: cluster ports, bind and unknown keys") {
  CHECK(errors_of(with_cluster(R"("port": 0)")) == "cluster.port: must be 1..65535");
  CHECK(errors_of(with_cluster(R"("port": 65536)")) == "cluster.port: must be 1..65535");
  CHECK(errors_of(with_cluster(R"("port": "4370")")) == "cluster.port: must be an integer, 1..65535");
  CHECK(errors_of(with_cluster(R"("bind": "")")) == "cluster.bind: must be a non-empty string");
  CHECK(errors_of(with_cluster(R"("nodename": "n2")")) == "cluster.nodename: unknown key");
  // The node link and an MQTT listener cannot share a port.
  CHECK(errors_of(R"({"listeners": [{"port": 4370}], "cluster": {"node_name": "n1", "cookie": "s"}})") ==
        "cluster.port: 4370 is already used by listeners[0]");
  CHECK(parse_config(R"({"listeners": [{"bind": "127.0.0.1", "port": 4370}],
                         "cluster": {"node_name": "n1", "cookie": "s", "bind": "10.0.0.1"}})")
            .ok());
}

TEST_CASE("config: cluster seeds are host:port") {
  Result<Config> r = parse_config(
      with_cluster(R"("seeds": ["127.0.0.1:4371", "node2.example:4370", "[::1]:4372", "n3:1", "n1:4370", "my_broker:65535"])"));
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  CHECK(r.value().cluster->seeds.size() == 6);
  const std::pair<const char*, const char*> bad[] = {
      {"127.0.0.1", "must be host:port"},
      {"127.0.0.1:0", "port must be 1..65535"},
      {"127.0.0.1:65536", "port must be 1..65535"},
      {"127.0.0.1:", "port must be 1..65535"},
      {"127.0.0.1:43x", "port must be 1..65535"},
      {"127.0.0.1:+4370", "port must be 1..65535"},
      {":4370", "host is not a valid host name"},
      {"300.1.1.1:4370", "host is not an IPv4 address"},
      {"bad host:4370", "host is not a valid host name"},
      {"a/b:4370", "host is not a valid host name"},
      {"-a.example:4370", "host is not a valid host name"},
      {"a..example:4370", "host is not a valid host name"},
      {"::1:4370", "an IPv6 address must be in brackets"},
      {"[::1]", "must be [IPv6 address]:port"},
      {"[::1]4370", "must be [IPv6 address]:port"},
      {"[::g]:4370", "host is not an IPv6 address"},
      {"[::1]:0", "port must be 1..65535"},
  };
  for (const auto& [seed, error] : bad) {
    CAPTURE(seed);
    const std::string text = errors_of(with_cluster(R"("seeds": ["n2:4370", ")" + std::string(seed) + "\"]"));
    CHECK(text.rfind(std::string("cluster.seeds[1]: ") + error, 0) == 0);
    CHECK(text.find('\n') == std::string::npos);
  }
  CHECK(errors_of(with_cluster(R"("seeds": "n2:4370")")) == "cluster.seeds: must be an array of strings");
  CHECK(errors_of(with_cluster(R"("seeds": [4370])")) == "cluster.seeds: must be an array of strings");
}

TEST_CASE("config: a cluster has exactly one cookie, and a valid one") {
  CHECK(errors_of(R"({"cluster": {"node_name": "n1"}})") ==
        "cluster: cookie_file or cookie is required (the cluster's shared secret)");
  CHECK(errors_of(with_cluster(R"("cookie_file": "cookie")")) ==
        "cluster: cookie_file and cookie are both set; keep one");
  CHECK(errors_of(R"({"cluster": {"node_name": "n1", "cookie": ""}})") == "cluster.cookie: must not be empty");
  CHECK(errors_of(R"({"cluster": {"node_name": "n1", "cookie": "a\nb"}})") == "cluster.cookie: must be one line");
  CHECK(errors_of(R"({"cluster": {"node_name": "n1", "cookie": ")" + std::string(256, 'c') + "\"}}") ==
        "cluster.cookie: must be at most 255 bytes");
  CHECK(parse_config(R"({"cluster": {"node_name": "n1", "cookie": ")" + std::string(255, 'c') + "\"}}").ok());
  CHECK(errors_of(R"({"cluster": {"node_name": "n1", "cookie_file": ""}})") ==
        "cluster.cookie_file: must not be empty");
  CHECK(errors_of(R"({"cluster": {"node_name": "n1", "cookie": 5}})") == "cluster.cookie: must be a string");
  // The file is read at start (load_cookie), not while parsing: it need not exist here.
  CHECK(parse_config(R"({"cluster": {"node_name": "n1", "cookie_file": "/nonexistent/cookie"}})").ok());
}

TEST_CASE("config: cluster heartbeat rules") {
  CHECK(errors_of(with_cluster(R"("heartbeat_ms": 9)")) == "cluster.heartbeat_ms: must be 10..3600000");
  CHECK(parse_config(with_cluster(R"("heartbeat_ms": 10, "node_down_after_ms": 11)")).ok());
  CHECK(errors_of(with_cluster(R"("heartbeat_ms": 1000, "node_down_after_ms": 1000)")) ==
        "cluster.node_down_after_ms: must be more than heartbeat_ms (1000)");
  CHECK(errors_of(with_cluster(R"("heartbeat_ms": 6000)")) ==
        "cluster.node_down_after_ms: must be more than heartbeat_ms (6000)");
  CHECK(errors_of(with_cluster(R"("node_down_after_ms": 0)")) == "cluster.node_down_after_ms: must be 11..86400000");
}

TEST_CASE("config: cluster tls needs certfile, keyfile and cafile") {
  const std::string required = ": required: node links authenticate both ends (certfile, keyfile and cafile)";
  CHECK(errors_of(with_cluster(R"("tls": {"certfile": "c", "keyfile": "k"})")) == "cluster.tls.cafile" + required);
  CHECK(errors_of(with_cluster(R"("tls": {"certfile": "c", "cafile": "ca"})")) == "cluster.tls.keyfile" + required);
  CHECK(errors_of(with_cluster(R"("tls": {"keyfile": "k", "cafile": "ca"})")) == "cluster.tls.certfile" + required);
  CHECK(errors_of(with_cluster(R"("tls": {})")) == "cluster.tls.certfile" + required + "\ncluster.tls.keyfile" +
                                                       required + "\ncluster.tls.cafile" + required);
  CHECK(errors_of(with_cluster(R"("tls": {"certfile": "", "keyfile": "k", "cafile": "ca"})")) ==
        "cluster.tls.certfile" + required);
  CHECK(errors_of(with_cluster(R"("tls": {"certfile": "c", "keyfile": "k", "cafile": "ca", "insecure": true})")) ==
        "cluster.tls.insecure: unknown key");
  CHECK(errors_of(with_cluster(R"("tls": true)")) == "cluster.tls: must be an object or null");
  CHECK(errors_of(with_cluster(R"("tls": {"certfile": 1, "keyfile": "k", "cafile": "ca"})")) ==
        "cluster.tls.certfile: must be a string");
}

TEST_CASE("config: a cluster built in code is checked like a parsed one") {
  Config c;
  c.cluster.emplace();
  CHECK(c.cluster->port == 4370);
  Status none = validate_config(c);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().messages() ==
        std::vector<std::string>{"cluster.node_name: must be a non-empty string",
                                 "cluster: cookie_file or cookie is required (the cluster's shared secret)"});
  c.cluster->node_name = "n1";
  c.cluster->cookie = "s";
  CHECK(validate_config(c).ok());
  c.cluster->node_id = 0;
  CHECK(validate_config(c).error().text() == "cluster.node_id: must be 1..65535");
  c.cluster->node_id = 2;
  c.cluster->tls.emplace();
  CHECK(validate_config(c).error().messages().size() == 3);
}

TEST_CASE("config: the cluster key tables document every key") {
  std::set<std::string_view> names;
  for (const auto& doc : cluster_key_docs()) {
    CAPTURE(doc.name);
    CHECK(names.insert(doc.name).second);
    CHECK_FALSE(doc.description.empty());
    CHECK_FALSE(doc.type.empty());
    CHECK_FALSE(doc.default_value.empty());
  }
  CHECK(names == std::set<std::string_view>{"node_name", "node_id", "bind", "port", "seeds", "cookie_file", "cookie",
                                            "tls", "heartbeat_ms", "node_down_after_ms"});
  std::set<std::string_view> tls_names;
  for (const auto& doc : cluster_tls_key_docs()) {
    CHECK_FALSE(doc.description.empty());
    CHECK(doc.default_value == "required");
    tls_names.insert(doc.name);
  }
  CHECK(tls_names == std::set<std::string_view>{"certfile", "keyfile", "cafile"});
}
