// core/config/bridges.cpp: the `bridges` array, its defaults and its errors.
#include "core/config/bridges.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <set>
#include <string>

#include "core/config/config.hpp"

using namespace actormq::core;

namespace {

// A config with one bridge whose object is `{<inner>}`.
// (Built by appending: GCC 12 warns falsely, -Wrestrict, on literal + string + literal.)
std::string with_bridges(std::initializer_list<std::string> inners) {
  std::string out = R"({"bridges": [)";
  for (const std::string& inner : inners) {
    out.append(out.back() == '[' ? "{" : ", {").append(inner).append("}");
  }
  return out.append("]}");
}
std::string with_bridge(const std::string& inner) { return with_bridges({inner}); }

const std::string minimal = R"("name": "site1", "address": "127.0.0.1:1883", "topics": [{"pattern": "a/#"}])";

std::string errors_of(const std::string& text) {
  Result<Config> r = parse_config(text);
  REQUIRE_FALSE(r.ok());
  return r.error().text();
}

}  // namespace

TEST_CASE("bridge config: no bridges by default") {
  Config c;
  CHECK(c.bridges.empty());
  CHECK(parse_config("{}").ok());
  CHECK(parse_config(R"({"bridges": []})").ok());
}

TEST_CASE("bridge config: the documented bridge parses, with every key") {
  Result<Config> r = parse_config(R"({"bridges": [{
    "name": "site1", "address": "10.0.0.5:1883", "protocol_version": "mqttv311",
    "client_id": "site1-bridge", "username": "", "password": "", "clean_start": false,
    "keepalive": 60, "try_private": true, "notifications": true,
    "topics": [{"pattern": "sensors/#", "direction": "out", "qos": 1,
                "local_prefix": "", "remote_prefix": "site1/"}],
    "tls": {"cafile": "ca.crt", "certfile": "", "keyfile": "", "insecure": false},
    "restart_timeout_ms": {"base": 500, "cap": 30000},
    "max_buffered_bytes": 1073741824, "max_inflight": 100
  }]})");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  REQUIRE(r->bridges.size() == 1);
  const BridgeConfig& b = r->bridges[0];
  CHECK(b.name == "site1");
  CHECK(b.endpoints() == std::vector<std::string>{"10.0.0.5:1883"});
  CHECK(b.protocol_version == BridgeProtocol::mqttv311);
  CHECK(b.remote_client_id() == "site1-bridge");
  CHECK_FALSE(b.clean_start);
  CHECK(b.keepalive == 60);
  REQUIRE(b.topics.size() == 1);
  CHECK(b.topics[0].direction == BridgeDirection::out);
  CHECK(b.topics[0].qos == 1);
  CHECK(b.topics[0].local_filter() == "sensors/#");
  CHECK(b.topics[0].remote_filter() == "site1/sensors/#");
  REQUIRE(b.tls);
  CHECK(b.tls->cafile == "ca.crt");
  CHECK(b.restart_timeout_ms.base == 500);
  CHECK(b.restart_timeout_ms.cap == 30000);
  CHECK(b.max_buffered_bytes == 1073741824);
  CHECK(b.max_inflight == 100);
  CHECK(b.state_topic() == "$SYS/broker/connection/site1/state");
}

TEST_CASE("bridge config: defaults of a minimal bridge") {
  Result<Config> r = parse_config(with_bridge(minimal + R"(, "addresses": ["h2:1884", "[::1]:1885"])"));
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  const BridgeConfig& b = r->bridges[0];
  CHECK(b.endpoints() == std::vector<std::string>{"127.0.0.1:1883", "h2:1884", "[::1]:1885"});
  CHECK(b.remote_client_id() == "site1");
  CHECK(b.protocol_version == BridgeProtocol::mqttv311);
  CHECK(b.try_private);
  CHECK(b.notifications);
  CHECK_FALSE(b.clean_start);
  CHECK(b.keepalive == 60);
  CHECK(b.max_inflight == 100);
  CHECK_FALSE(b.tls);
  CHECK(b.restart_timeout_ms.base == 500);
  CHECK(b.restart_timeout_ms.cap == 30000);
  CHECK(b.topics[0].direction == BridgeDirection::out);
  CHECK(b.topics[0].qos == 0);
  // Fallbacks alone are enough.
  CHECK(parse_config(with_bridge(R"("name": "b", "addresses": ["h:1"], "topics": [{"pattern": "#"}])")).ok());
  // An empty pattern with both prefixes: the prefixes are the topics.
  CHECK(parse_config(with_bridge(
                         R"("name": "b", "address": "h:1", "topics": [{"pattern": "", "local_prefix": "l/x", "remote_prefix": "r/x"}])"))
            .ok());
}

TEST_CASE("bridge config: malformed entries name the key") {
  CHECK(errors_of(R"({"bridges": {}})") == "bridges: must be an array of bridge objects");
  CHECK(errors_of(R"({"bridges": [1]})") == "bridges[0]: must be an object");
  CHECK(errors_of(with_bridge(R"("address": "h:1", "topics": [{"pattern": "#"}])")) == "bridges[0].name: required");
  CHECK(errors_of(with_bridge(R"("name": "b", "address": "h:1")")) == "bridges[0].topics: required");
  CHECK(errors_of(with_bridge(minimal + R"(, "nme": 1)")) == "bridges[0].nme: unknown key");
  CHECK(errors_of(with_bridge(R"("name": "b", "topics": [{"pattern": "#"}])")) ==
        "bridges[0].address: required (or addresses)");
  CHECK(errors_of(with_bridge(R"("name": "a b", "address": "h:1", "topics": [{"pattern": "#"}])")) ==
        "bridges[0].name: must be 1..255 letters, digits, '.', '_', '-' or '@'");
  CHECK(errors_of(with_bridge(R"("name": "b", "address": "h", "topics": [{"pattern": "#"}])"))
            .starts_with("bridges[0].address: must be host:port"));
  CHECK(errors_of(with_bridge(R"("name": "b", "address": "h:0", "topics": [{"pattern": "#"}])")) ==
        "bridges[0].address: port must be 1..65535");
  CHECK(errors_of(with_bridge(minimal + R"(, "addresses": ["h:1", "h:x"])")) ==
        "bridges[0].addresses[1]: port must be 1..65535");
  CHECK(errors_of(with_bridge(minimal + R"(, "protocol_version": "mqttv31")")) ==
        "bridges[0].protocol_version: must be one of mqttv311, mqttv5");
  CHECK(errors_of(with_bridge(minimal + R"(, "keepalive": 65536)")) ==
        "bridges[0].keepalive: must be 0..65535");
  CHECK(errors_of(with_bridge(minimal + R"(, "try_private": "yes")")) ==
        "bridges[0].try_private: must be true or false");
  CHECK(errors_of(with_bridge(minimal + R"(, "password": "p")")) ==
        "bridges[0].password: needs a username with mqttv311");
  CHECK(parse_config(with_bridge(minimal + R"(, "password": "p", "protocol_version": "mqttv5")")).ok());
  CHECK(errors_of(with_bridge(R"("name": "b", "address": "h:1", "topics": [])")) ==
        "bridges[0].topics: at least one topic object is required");
  CHECK(errors_of(with_bridge(R"("name": "b", "address": "h:1", "topics": {})")) ==
        "bridges[0].topics: must be an array of topic objects");
  CHECK(errors_of(with_bridge(minimal + R"(, "max_buffered_bytes": 10)")) ==
        "bridges[0].max_buffered_bytes: must be 1024..1125899906842624");
  CHECK(errors_of(with_bridge(minimal + R"(, "max_inflight": 0)")) == "bridges[0].max_inflight: must be 1..65535");
  CHECK(parse_config(with_bridge(minimal + R"(, "max_inflight": 65535)")).ok());
  CHECK(errors_of(with_bridges({minimal, minimal})) ==
        "bridges[1].name: \"site1\" is already the name of another bridge");
}

TEST_CASE("bridge config: malformed topics name the entry and the key") {
  auto topics = [](const std::string& second) {
    std::string inner = R"("name": "b", "address": "h:1", "topics": [{"pattern": "ok/#"}, )";
    return with_bridge(inner.append(second).append("]"));
  };
  CHECK(errors_of(topics(R"({"pattern": "x", "direction": "sideways"})")) ==
        "bridges[0].topics[1].direction: must be one of in, out, both");
  CHECK(errors_of(topics(R"({"pattern": "x", "qos": 3})")) == "bridges[0].topics[1].qos: must be 0..2");
  CHECK(errors_of(topics(R"({"direction": "in"})")) == "bridges[0].topics[1].pattern: required");
  CHECK(errors_of(topics("7")) == "bridges[0].topics[1]: must be an object");
  CHECK(errors_of(topics(R"({"pattern": "a/#/b"})")) ==
        "bridges[0].topics[1].pattern: \"a/#/b\" is not a valid topic filter");
  CHECK(errors_of(topics(R"({"pattern": "a+"})")) == "bridges[0].topics[1].pattern: \"a+\" is not a valid topic filter");
  CHECK(errors_of(topics(R"({"pattern": "x", "remote_prefix": "r/+/"})")) ==
        "bridges[0].topics[1].remote_prefix: must not contain + or #");
  CHECK(errors_of(topics(R"({"pattern": "x", "local_prefix": "#"})")) ==
        "bridges[0].topics[1].local_prefix: must not contain + or #");
  CHECK(errors_of(topics(R"({"pattern": "", "local_prefix": "l/"})")) ==
        "bridges[0].topics[1].pattern: may be empty only when local_prefix and remote_prefix are both set");
  CHECK(errors_of(topics(R"({"pattern": "g/t", "local_prefix": "$share/"})")) ==
        "bridges[0].topics[1].pattern: \"$share/g/t\" is a shared subscription, which a bridge cannot be");
  CHECK(errors_of(topics(R"({"pattern": "x", "extra": 1})")) == "bridges[0].topics[1].extra: unknown key");
}

TEST_CASE("bridge config: tls and restart_timeout_ms") {
  CHECK(errors_of(with_bridge(minimal + R"(, "tls": {})")) ==
        "bridges[0].tls.cafile: required (or insecure true, which verifies nothing)");
  CHECK(parse_config(with_bridge(minimal + R"(, "tls": {"insecure": true})")).ok());
  CHECK(parse_config(with_bridge(minimal + R"(, "tls": null)")).ok());
  CHECK(errors_of(with_bridge(minimal + R"(, "tls": {"cafile": "ca", "certfile": "c"})")) ==
        "bridges[0].tls.keyfile: set both certfile and keyfile, or neither");
  CHECK(parse_config(
            with_bridge(minimal + R"(, "tls": {"cafile": "ca", "certfile": "c", "keyfile": "k", "keyfile_password": "p"})"))
            .ok());
  CHECK(errors_of(with_bridge(minimal + R"(, "tls": {"cafile": "ca", "keyfile_password": "p"})")) ==
        "bridges[0].tls.keyfile_password: needs keyfile");
  CHECK(errors_of(with_bridge(minimal + R"(, "tls": {"cafile": "ca", "ciphers": "x"})")) ==
        "bridges[0].tls.ciphers: unknown key");
  CHECK(errors_of(with_bridge(minimal + R"(, "tls": "ca.crt")")) == "bridges[0].tls: must be an object or null");
  // crlfile with cafile; psk with psk_identity and nothing of certificates (mosquitto's bridge_psk).
  CHECK(parse_config(with_bridge(minimal + R"(, "tls": {"cafile": "ca", "crlfile": "crl"})")).ok());
  CHECK(errors_of(with_bridge(minimal + R"(, "tls": {"insecure": true, "crlfile": "crl"})")) ==
        "bridges[0].tls.crlfile: needs cafile (the CAs whose revocations it lists)");
  CHECK(parse_config(with_bridge(minimal + R"(, "tls": {"psk": "00ff", "psk_identity": "bridge-1"})")).ok());
  CHECK(errors_of(with_bridge(minimal + R"(, "tls": {"psk": "00ff"})")) ==
        "bridges[0].tls.psk_identity: required with psk");
  CHECK(errors_of(with_bridge(minimal + R"(, "tls": {"psk_identity": "b"})")) ==
        "bridges[0].tls.psk: required with psk_identity");
  CHECK(errors_of(with_bridge(minimal + R"(, "tls": {"psk": "00ff", "psk_identity": "b", "cafile": "ca"})")) ==
        "bridges[0].tls.psk: not with cafile, certfile, crlfile or insecure (the key authenticates both ends)");
  CHECK(errors_of(with_bridge(minimal + R"(, "restart_timeout_ms": 500)")) ==
        "bridges[0].restart_timeout_ms: must be an object of base and cap");
  CHECK(errors_of(with_bridge(minimal + R"(, "restart_timeout_ms": {"base": 0})")) ==
        "bridges[0].restart_timeout_ms.base: must be 1..3600000");
  CHECK(errors_of(with_bridge(minimal + R"(, "restart_timeout_ms": {"base": 5000, "cap": 1000})")) ==
        "bridges[0].restart_timeout_ms.cap: must be at least base (5000)");
  Result<Config> only_base = parse_config(with_bridge(minimal + R"(, "restart_timeout_ms": {"base": 100})"));
  REQUIRE(only_base.ok());
  CHECK(only_base->bridges[0].restart_timeout_ms.cap == 30000);
}

TEST_CASE("bridge config: a bridge built in code is checked like a parsed one") {
  Config c;
  c.bridges.emplace_back();
  Status none = validate_config(c);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().messages() == std::vector<std::string>{"bridges[0].name: must be a non-empty string",
                                                            "bridges[0].address: required (or addresses)",
                                                            "bridges[0].topics: at least one topic object is required"});
  BridgeTopicConfig all;
  all.pattern = std::string(1, '#');
  BridgeConfig b;
  b.name = std::string("b");
  b.address = std::string("127.0.0.1:1883");
  b.topics.push_back(all);
  c.bridges = {b};
  CHECK(validate_config(c).ok());
}

TEST_CASE("bridge config: the key tables document every key") {
  std::set<std::string_view> names;
  for (const auto& doc : bridge_key_docs()) {
    CAPTURE(doc.name);
    CHECK(names.insert(doc.name).second);
    CHECK_FALSE(doc.description.empty());
    CHECK_FALSE(doc.default_value.empty());
  }
  // The keys DESIGN.md fixes, and the fallbacks.
  CHECK(names == std::set<std::string_view>{"name", "address", "addresses", "protocol_version", "client_id",
                                            "username", "password", "clean_start", "keepalive", "try_private",
                                            "notifications", "topics", "tls", "restart_timeout_ms",
                                            "max_buffered_bytes", "max_inflight"});
  std::set<std::string_view> topic_names;
  for (const auto& doc : bridge_topic_key_docs()) {
    topic_names.insert(doc.name);
  }
  CHECK(topic_names ==
        std::set<std::string_view>{"pattern", "direction", "qos", "local_prefix", "remote_prefix"});
  CHECK(bridge_tls_key_docs().size() == 8);
  CHECK(bridge_restart_key_docs().size() == 2);
}

TEST_CASE("bridge config: equal settings compare equal, any change tells (a reload keeps or restarts by it)") {
  Result<Config> a = parse_config(with_bridge(minimal));
  Result<Config> b = parse_config(with_bridge(minimal));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->bridges == b->bridges);
  BridgeConfig changed = a->bridges[0];
  changed.topics[0].remote_prefix = "elsewhere/";
  CHECK_FALSE(changed == a->bridges[0]);
  changed = a->bridges[0];
  changed.restart_timeout_ms.cap += 1;
  CHECK_FALSE(changed == a->bridges[0]);
  changed = a->bridges[0];
  changed.tls = BridgeTlsConfig{};
  CHECK_FALSE(changed == a->bridges[0]);
  changed = a->bridges[0];
  changed.max_inflight = 7;
  CHECK_FALSE(changed == a->bridges[0]);
}
