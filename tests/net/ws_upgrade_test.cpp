#include <doctest/doctest.h>

#include <string>

#include "net/ws_upgrade.hpp"

using namespace actormq::net;

namespace {

WsOptions mqtt_options() {
  WsOptions o;
  o.subprotocols = {"mqtt", "mqttv3.1"};
  return o;
}

std::string request(const std::string& extra, const std::string& target = "/mqtt",
                    const std::string& protocol = "mqtt") {
  return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         (protocol.empty() ? "" : "Sec-WebSocket-Protocol: " + protocol + "\r\n") + extra + "\r\n";
}

}  // namespace

TEST_CASE("ws upgrade: the RFC 6455 example key gives its accept value") {
  // RFC 6455 section 1.3.
  CHECK(websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("ws upgrade: a valid request gets 101 with the accept key and the subprotocol") {
  UpgradeResult r = answer_upgrade(request(""), mqtt_options());
  CHECK(r.status == 101);
  CHECK(r.subprotocol == "mqtt");
  CHECK(r.response.find("HTTP/1.1 101 Switching Protocols\r\n") == 0);
  CHECK(r.response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  CHECK(r.response.find("Sec-WebSocket-Protocol: mqtt\r\n") != std::string::npos);
  CHECK(r.response.size() >= 4);
  CHECK(r.response.substr(r.response.size() - 4) == "\r\n\r\n");
}

TEST_CASE("ws upgrade: header names are case-insensitive, tokens lists, query ignored, mqttv3.1 chosen") {
  std::string req =
      "GET /mqtt?x=1 HTTP/1.1\r\nhost: h\r\nUPGRADE: WebSocket\r\nconnection: keep-alive, Upgrade\r\n"
      "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-Websocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: foo, mqttv3.1\r\n\r\n";
  UpgradeResult r = answer_upgrade(req, mqtt_options());
  CHECK(r.status == 101);
  CHECK(r.subprotocol == "mqttv3.1");
}

TEST_CASE("ws upgrade: find_header_end") {
  CHECK(find_header_end("GET / HTTP/1.1\r\nHost: x\r\n") == std::string::npos);
  CHECK(find_header_end("GET / HTTP/1.1\r\n\r\nrest") == 18);
}

TEST_CASE("ws upgrade: refusals name their cause and carry the HTTP status") {
  WsOptions o = mqtt_options();
  struct Case {
    std::string request;
    int status;
    const char* reason;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "not a WebSocket upgrade"},
      {"POST /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 400, "not a WebSocket upgrade"},
      {"garbage\r\n\r\n", 400, "malformed HTTP request"},
      {"GET /mqtt SPDY/3\r\n\r\n", 400, "malformed HTTP request"},
      {"GET /mqtt HTTP/1.1\r\nno colon here\r\n\r\n", 400, "malformed HTTP request"},
      {"GET /mqtt HTTP/1.1\r\n folded: x\r\n\r\n", 400, "malformed HTTP request"},
      {request("", "/other"), 404, "not the listener's path /mqtt"},
      {request("", "/mqtt", ""), 400, "no supported WebSocket subprotocol offered (mqtt, mqttv3.1)"},
      {request("", "/mqtt", "chat"), 400, "no supported WebSocket subprotocol"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.request);
    UpgradeResult r = answer_upgrade(c.request, o);
    CHECK(r.status == c.status);
    CHECK(r.reason.find(c.reason) != std::string::npos);
    CHECK(r.response.find("HTTP/1.1 " + std::to_string(c.status)) == 0);
    CHECK(r.response.find("Connection: close\r\n") != std::string::npos);
  }
}

TEST_CASE("ws upgrade: bad key and bad version") {
  std::string no_key = "GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
  CHECK(answer_upgrade(no_key, mqtt_options()).status == 400);
  std::string short_key = "GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
  CHECK(answer_upgrade(short_key, mqtt_options()).reason.find("Sec-WebSocket-Key") != std::string::npos);
  std::string v8 = "GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n"
                   "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
  UpgradeResult r = answer_upgrade(v8, mqtt_options());
  CHECK(r.status == 426);
  CHECK(r.response.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
}

TEST_CASE("ws upgrade: origin allow-list") {
  WsOptions o = mqtt_options();
  o.allowed_origins = {"https://app.example"};
  CHECK(answer_upgrade(request("Origin: https://app.example\r\n"), o).status == 101);
  UpgradeResult bad = answer_upgrade(request("Origin: https://evil.example\r\n"), o);
  CHECK(bad.status == 403);
  CHECK(bad.reason.find("https://evil.example") != std::string::npos);
  // Non-browser clients send no Origin: the allow-list protects browsers.
  CHECK(answer_upgrade(request(""), o).status == 101);
  o.allowed_origins.clear();
  CHECK(answer_upgrade(request("Origin: https://evil.example\r\n"), o).status == 101);
}

TEST_CASE("ws upgrade: oversized headers get 431") {
  WsOptions o = mqtt_options();
  o.max_header_bytes = 256;
  UpgradeResult r = answer_upgrade(request("X-Pad: " + std::string(300, 'a') + "\r\n"), o);
  CHECK(r.status == 431);
}
