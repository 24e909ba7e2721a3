#include <doctest/doctest.h>

#include <set>
#include <sstream>
#include <string>

#include "core/http/api.hpp"
#include "core/http/api_auth.hpp"
#include "core/http/api_clients.hpp"
#include "core/http/api_input.hpp"
#include "core/http/api_json.hpp"
#include "core/http/dashboard_page.hpp"
#include "core/http/prometheus.hpp"

using namespace actormq::core;

namespace {

ClientInfo client(const std::string& id, const std::string& user = "", bool connected = true) {
  ClientInfo c;
  c.client_id = id;
  c.username = user;
  c.has_username = !user.empty();
  c.connected = connected;
  c.proto_ver = 5;
  c.peer = connected ? "127.0.0.1:5555" : "";
  c.transport = connected ? "tcp" : "";
  c.listener = "tcp 127.0.0.1:1883";
  c.keepalive = 30;
  c.expiry_interval = 60;
  c.subscriptions_cnt = 2;
  return c;
}

}  // namespace

TEST_CASE("http api: paging parameters, defaults and refusals") {
  auto p = paging_of({});
  REQUIRE(p);
  CHECK(p->page == 1);
  CHECK(p->limit == 100);
  auto q = paging_of({{"page", "3"}, {"limit", "7"}});
  REQUIRE(q);
  CHECK(q->page == 3);
  CHECK(q->limit == 7);
  for (const char* bad : {"0", "-1", "x", "1.5", "", "10001"}) {
    CAPTURE(bad);
    CHECK_FALSE(paging_of({{"limit", bad}}));
  }
  CHECK_FALSE(paging_of({{"page", "0"}}));
}

TEST_CASE("http api: a paged list has data and meta with the total count") {
  std::vector<Json> all;
  for (int i = 0; i < 5; ++i) {
    all.push_back(i);
  }
  Json page = paged(all, Paging{2, 2});
  CHECK(page["data"] == Json::array({2, 3}));
  CHECK(page["meta"] == Json{{"page", 2}, {"limit", 2}, {"count", 5}});
  CHECK(paged(all, Paging{4, 2})["data"] == Json::array());
}

TEST_CASE("http api: errors are JSON with a code and a message") {
  auto r = api_error(404, "client x not found");
  CHECK(r.status == 404);
  CHECK(r.content_type == "application/json");
  CHECK(Json::parse(r.body) == Json{{"code", "NOT_FOUND"}, {"message", "client x not found"}});
  CHECK(error_code(400) == "BAD_REQUEST");
  CHECK(error_code(401) == "UNAUTHORIZED");
  CHECK(error_code(403) == "FORBIDDEN");
  CHECK(error_code(405) == "METHOD_NOT_ALLOWED");
  CHECK(error_code(413) == "PAYLOAD_TOO_LARGE");
  CHECK(error_code(431) == "HEADERS_TOO_LARGE");
}

TEST_CASE("http api: a client JSON names its node, peer and counts, an offline one has no address") {
  Json j = client_json(client("c1", "alice"), "n1");
  CHECK(j["node"] == "n1");
  CHECK(j["clientid"] == "c1");
  CHECK(j["username"] == "alice");
  CHECK(j["connected"] == true);
  CHECK(j["proto_ver"] == 5);
  CHECK(j["proto_name"] == "MQTT");
  CHECK(j["ip_address"] == "127.0.0.1");
  CHECK(j["port"] == 5555);
  CHECK(j["keepalive"] == 30);
  CHECK(j["expiry_interval"] == 60);
  CHECK(j["subscriptions_cnt"] == 2);
  Json off = client_json(client("c2", "", false), "n1");
  CHECK(off["username"].is_null());
  CHECK(off["connected"] == false);
  CHECK(off["ip_address"].is_null());
  ClientInfo v6 = client("c3");
  v6.peer = "[::1]:6000";
  CHECK(client_json(v6, "n1")["ip_address"] == "::1");
}

TEST_CASE("http api: clients are filtered by username, sorted by client id and paged") {
  std::vector<ClientInfo> infos{client("b", "bob"), client("a", "alice"), client("c", "alice"), client("d")};
  Json all = clients_page(infos, {}, Paging{1, 100}, "n1");
  REQUIRE(all["data"].size() == 4);
  CHECK(all["data"][0]["clientid"] == "a");
  CHECK(all["data"][3]["clientid"] == "d");
  Json alice = clients_page(infos, ClientFilter{std::nullopt, "alice"}, Paging{2, 1}, "n1");
  CHECK(alice["meta"]["count"] == 2);
  REQUIRE(alice["data"].size() == 1);
  CHECK(alice["data"][0]["clientid"] == "c");
  // A page asked of its sessions alone: the total is the registry's.
  Json page = clients_page({client("x")}, {}, Paging{3, 1}, "n1", 10);
  CHECK(page["meta"] == Json{{"page", 3}, {"limit", 1}, {"count", 10}});
}

TEST_CASE("http api: subscriptions flatten every client's, filtered by topic and qos") {
  ClientInfo a = client("a");
  a.subscriptions = {{"$share/g/t/1", 1, false, false, 0}, {"t/#", 2, true, true, 7}};
  ClientInfo b = client("b");
  b.subscriptions = {{"t/#", 0, false, false, 0}};
  Json all = subscriptions_page({b, a}, {}, Paging{1, 100}, "n1");
  REQUIRE(all["data"].size() == 3);
  CHECK(all["data"][0] == Json{{"node", "n1"}, {"clientid", "a"}, {"topic", "$share/g/t/1"}, {"qos", 1}, {"nl", 0},
                               {"rap", 0}});
  CHECK(all["data"][1]["subid"] == 7);
  CHECK(all["data"][1]["nl"] == 1);
  CHECK(all["data"][2]["clientid"] == "b");
  Json filtered = subscriptions_page({a, b}, SubscriptionFilter{std::nullopt, "t/#", 2}, Paging{1, 100}, "n1");
  CHECK(filtered["meta"]["count"] == 1);
  CHECK(filtered["data"][0]["clientid"] == "a");
}

TEST_CASE("http api: Basic credentials parse, anything else does not") {
  auto ok = parse_basic("Basic b3BzOnNlOmNyZXQ=");  // ops:se:cret
  REQUIRE(ok);
  CHECK(ok->first == "ops");
  CHECK(ok->second == "se:cret");
  CHECK(parse_basic("basic b3BzOnNlOmNyZXQ="));
  CHECK_FALSE(parse_basic("Bearer abc"));
  CHECK_FALSE(parse_basic("Basic !!!"));
  CHECK_FALSE(parse_basic("Basic b3Bz"));      // "ops": no colon
  CHECK_FALSE(parse_basic("Basic OnNlY3JldA=="));  // ":secret": no user
  CHECK_FALSE(parse_basic(""));
}

TEST_CASE("http api: path segments are decoded one by one") {
  auto s = api_segments("/api/v1/clients/a%2Fb/subscriptions?x=1", "/api/v1/");
  REQUIRE(s);
  CHECK(*s == std::vector<std::string>{"clients", "a/b", "subscriptions"});
  CHECK_FALSE(api_segments("/api/v2/clients", "/api/v1/"));
  CHECK_FALSE(api_segments("/api/v1/clients/%zz", "/api/v1/"));
}

TEST_CASE("http api: a query decodes whole or not at all, the first of a repeated name wins") {
  auto q = query_of("clientid=a%2Fb&qos=1&qos=2&empty=");
  REQUIRE(q);
  CHECK(q->at("clientid") == "a/b");
  CHECK(q->at("qos") == "1");
  CHECK(q->at("empty").empty());
  CHECK_FALSE(query_of("a=%zz"));
  CHECK_FALSE(query_of("a=%4"));
  auto none = query_of("");
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("http api: list filters, a subscription filter's qos only 0, 1 or 2") {
  ClientFilter c = client_filter_of({{"username", "u"}});
  CHECK_FALSE(c.client_id);
  CHECK(c.username == "u");
  auto s = subscription_filter_of({{"clientid", "x"}, {"topic", "a/#"}, {"qos", "2"}});
  REQUIRE(s);
  CHECK(s->client_id == "x");
  CHECK(s->topic == "a/#");
  CHECK(s->qos == 2);
  for (const char* bad : {"3", "-1", "", "01", "1x"}) {
    auto f = subscription_filter_of({{"qos", bad}});
    REQUIRE_FALSE(f);
    CHECK(f.error().text() == "qos: must be 0, 1 or 2");
  }
}

TEST_CASE("http api: a bridge change body is {enabled: bool} and nothing else") {
  auto on = bridge_enabled_of(R"({"enabled": true})");
  REQUIRE(on);
  CHECK(*on);
  auto off = bridge_enabled_of(R"({"enabled": false})");
  REQUIRE(off);
  CHECK_FALSE(*off);
  auto text_of = [](const std::string& body) { return bridge_enabled_of(body).error().text(); };
  CHECK(text_of("") == "body: must be a JSON object");
  CHECK(text_of("[true]") == "body: must be a JSON object");
  CHECK(text_of(R"({"enabled": "yes"})") == "enabled: required, true or false");
  CHECK(text_of(R"({})") == "enabled: required, true or false");
  CHECK(text_of(R"({"enabled": true, "address": "x"})") == "address: not a field of a bridge that may change at run time");
}

TEST_CASE("http api: an evacuation body takes defaults, and names the field it refuses") {
  auto defaults = evacuation_order_of("");
  REQUIRE(defaults);
  CHECK(defaults->server_reference.empty());
  CHECK(defaults->connection_rate == 500);
  CHECK(defaults->wait_takeover_ms == 10000);
  auto order = evacuation_order_of(
      R"({"redirect_to": "10.0.0.2:1883", "connection_rate": 50, "session_rate": 7, "wait_takeover_s": 0})");
  REQUIRE(order);
  CHECK(order->server_reference == "10.0.0.2:1883");
  CHECK(order->connection_rate == 50);
  CHECK(order->session_rate == 7);
  CHECK(order->wait_takeover_ms == 0);
  auto text_of = [](const std::string& body) { return evacuation_order_of(body).error().text(); };
  CHECK(text_of("[1]") == "body: must be a JSON object");
  CHECK(text_of("{") == "body: must be a JSON object");
  CHECK(text_of(R"({"redirect_to": 5})") == "redirect_to: must be a string");
  CHECK(text_of(R"({"redirect_to": "a\u0000b"})").starts_with("redirect_to: must be a UTF-8 string"));
  CHECK(text_of(R"({"connection_rate": 0})") == "connection_rate: must be an integer 1..1000000");
  CHECK(text_of(R"({"session_rate": -1})") == "session_rate: must be an integer 0..1000000");
  CHECK(text_of(R"({"session_rate": 1.5})") == "session_rate: must be an integer 0..1000000");
  CHECK(text_of(R"({"wait_takeover_s": 3601})") == "wait_takeover_s: must be an integer 0..3600");
  CHECK(text_of(R"({"rate": 5})").starts_with("rate: not a field of an evacuation"));
  auto only = evacuation_order_of(R"({"migrate_to": ["n2", "n3"]})");
  REQUIRE(only);
  CHECK(only->migrate_to == std::vector<std::string>{"n2", "n3"});
  CHECK(text_of(R"({"migrate_to": "n2"})").starts_with("migrate_to: must be an array"));
  CHECK(text_of(R"({"migrate_to": [""]})").starts_with("migrate_to: every entry must be a node name"));
  CHECK(text_of(R"({"migrate_to": [2]})").starts_with("migrate_to: every entry must be a node name"));
  CHECK(text_of(R"({"migrate_to": ["a b"]})").starts_with("migrate_to: every entry must be a node name"));
}

namespace {

// The text format's rules: HELP then TYPE once per family, every series of a
// known family, none twice.
void check_exposition(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  std::set<std::string> helps;
  std::set<std::string> types;
  std::set<std::string> series;
  while (std::getline(lines, line)) {
    if (line.starts_with("# HELP ")) {
      CHECK(helps.insert(line.substr(7, line.find(' ', 7) - 7)).second);
    } else if (line.starts_with("# TYPE ")) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      CHECK(types.insert(name).second);
      CHECK(helps.contains(name));
    } else {
      std::string key = line.substr(0, line.rfind(' '));
      CHECK(series.insert(key).second);
      CHECK(key.starts_with("actormq_"));
      CHECK(types.contains(key.substr(0, key.find('{'))));
    }
  }
}

}  // namespace

TEST_CASE("http api: /metrics has HELP and TYPE once per family and no duplicate series") {
  MetricsSnapshot m;
  m.counters[static_cast<std::size_t>(Counter::clients_connected)] = 3;
  m.counters[static_cast<std::size_t>(Counter::messages_received)] = 42;
  m.packets[static_cast<std::size_t>(PacketFlow::received)][3] = 40;
  m.sessions = 4;
  std::string text = prometheus_text(m);
  check_exposition(text);
  CHECK(text.find("actormq_bridge_") == std::string::npos);  // no bridges, no bridge families
  CHECK(text.find("\nactormq_connections_count 3\n") != std::string::npos);
  CHECK(text.find("\nactormq_sessions_count 4\n") != std::string::npos);
  CHECK(text.find("\nactormq_messages_received_total 42\n") != std::string::npos);
  CHECK(text.find("\nactormq_packets_received_total{type=\"publish\"} 40\n") != std::string::npos);
  CHECK(text.find("actormq_packets_received_total{type=\"connack\"}") == std::string::npos);
  CHECK(text.find("actormq_packets_sent_total{type=\"connack\"} 0\n") != std::string::npos);
  CHECK(text.find("actormq_packets_sent_total{type=\"publish\"} 0\n") != std::string::npos);
  CHECK(text.find("actormq_packets_sent_total{type=\"connect\"}") == std::string::npos);
  CHECK(text.find("# TYPE actormq_client_auth_success_total counter\n") != std::string::npos);
  CHECK(text.find("# TYPE actormq_client_auth_failure_total counter\n") != std::string::npos);
}

TEST_CASE("http api: /metrics has a series per bridge and the services' families, labels escaped") {
  MetricsSnapshot m;
  BridgeView up;
  up.name = "site-1";
  up.state = "up";
  up.messages_sent = 7;
  up.buffered_messages = 2;
  BridgeView off;
  off.name = "b2";
  off.enabled = false;
  off.state = "disabled";
  off.messages_dropped = 3;
  m.bridges = {up, off};
  m.services.push_back(MetricFamily{"actormq_cluster_node_up", "gauge", "Nodes.",
                                    {{metric_label("node", "n\"1\\"), 1}, {metric_label("node", "n2"), 1}}});
  std::string text = prometheus_text(m);
  check_exposition(text);
  CHECK(text.find("\nactormq_bridge_up{bridge=\"site-1\"} 1\n") != std::string::npos);
  CHECK(text.find("\nactormq_bridge_up{bridge=\"b2\"} 0\n") != std::string::npos);
  CHECK(text.find("\nactormq_bridge_enabled{bridge=\"b2\"} 0\n") != std::string::npos);
  CHECK(text.find("\nactormq_bridge_messages_sent_total{bridge=\"site-1\"} 7\n") != std::string::npos);
  CHECK(text.find("\nactormq_bridge_messages_dropped_total{bridge=\"b2\"} 3\n") != std::string::npos);
  CHECK(text.find("\nactormq_bridge_buffered_messages{bridge=\"site-1\"} 2\n") != std::string::npos);
  CHECK(text.find("# TYPE actormq_bridge_messages_sent_total counter\n") != std::string::npos);
  CHECK(text.find("\nactormq_cluster_node_up{node=\"n\\\"1\\\\\"} 1\n") != std::string::npos);
  CHECK(text.find("\nactormq_cluster_node_up{node=\"n2\"} 1\n") != std::string::npos);
}

TEST_CASE("http api: /metrics has drops by reason, a run queue per scheduler and the store only with one") {
  MetricsSnapshot m;
  m.counters[static_cast<std::size_t>(Counter::dropped_expired)] = 2;
  m.counters[static_cast<std::size_t>(Counter::dropped_too_large)] = 1;
  m.counters[static_cast<std::size_t>(Counter::acl_allowed)] = 9;
  m.run_queues = {4, 0};
  std::string text = prometheus_text(m);
  check_exposition(text);
  CHECK(text.find("\nactormq_delivery_dropped_total{reason=\"expired\"} 2\n") != std::string::npos);
  CHECK(text.find("\nactormq_delivery_dropped_total{reason=\"too_large\"} 1\n") != std::string::npos);
  CHECK(text.find("\nactormq_delivery_dropped_total{reason=\"queue_full\"} 0\n") != std::string::npos);
  CHECK(text.find("\nactormq_authorization_allow_total 9\n") != std::string::npos);
  CHECK(text.find("\nactormq_scheduler_run_queue{scheduler=\"0\"} 4\n") != std::string::npos);
  CHECK(text.find("\nactormq_scheduler_run_queue{scheduler=\"1\"} 0\n") != std::string::npos);
  CHECK(text.find("actormq_store_commit") == std::string::npos);
  m.store = StoreStats{3, 30, 1, 1500};
  text = prometheus_text(m);
  check_exposition(text);
  CHECK(text.find("\nactormq_store_commits_total 3\n") != std::string::npos);
  CHECK(text.find("\nactormq_store_writes_total 30\n") != std::string::npos);
  CHECK(text.find("\nactormq_store_commit_failures_total 1\n") != std::string::npos);
  CHECK(text.find("\nactormq_store_commit_microseconds_total 1500\n") != std::string::npos);
}

TEST_CASE("http api: the dashboard's files, each with its type, and every file the page names is served") {
  auto page = dashboard_file("/");
  REQUIRE(page);
  CHECK(page->content_type == "text/html; charset=utf-8");
  CHECK(page->body.starts_with("<!DOCTYPE html>"));
  CHECK(dashboard_file("/index.html")->body == page->body);
  CHECK(dashboard_file("/dashboard.js")->content_type == "text/javascript; charset=utf-8");
  CHECK(dashboard_file("/dashboard.css")->content_type == "text/css; charset=utf-8");
  CHECK(dashboard_file("/favicon.svg")->content_type == "image/svg+xml");
  for (const char* other : {"", "/index.htm", "/dashboard.js/", "/favicon.ico", "/api/v1/", "/DASHBOARD.JS"}) {
    CAPTURE(other);
    CHECK_FALSE(dashboard_file(other));
  }
  int named = 0;
  for (std::string_view attr : {"src=\"", "href=\""}) {
    for (std::size_t at = page->body.find(attr); at != std::string::npos; at = page->body.find(attr, at + 1)) {
      std::size_t begin = at + attr.size();
      std::string path = page->body.substr(begin, page->body.find('"', begin) - begin);
      CAPTURE(path);
      CHECK(dashboard_file(path));
      ++named;
    }
  }
  CHECK(named == 3);  // the script, the style and the icon
  for (const auto& [name, value] : page->headers) {
    if (name == "Content-Security-Policy") {
      CHECK(value.find("script-src 'self';") != std::string::npos);
      CHECK(value.find("unsafe") == std::string::npos);
    }
  }
}
