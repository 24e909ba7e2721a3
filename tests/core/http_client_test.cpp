#include <doctest/doctest.h>

#include <string>

#include "core/ctl/http_client.hpp"

using namespace actormq::core::ctl;

TEST_CASE("http client: API URLs") {
  CHECK(parse_http_url("http://127.0.0.1:8081").value() == HttpEndpoint{"127.0.0.1", 8081});
  CHECK(parse_http_url("http://127.0.0.1:8081/").value() == HttpEndpoint{"127.0.0.1", 8081});
  CHECK(parse_http_url("localhost:9").value() == HttpEndpoint{"localhost", 9});
  CHECK(parse_http_url("http://broker").value() == HttpEndpoint{"broker", 80});
  CHECK(parse_http_url("http://[::1]:8081").value() == HttpEndpoint{"::1", 8081});
  CHECK(parse_http_url("[fe80::1]").value() == HttpEndpoint{"fe80::1", 80});
  CHECK(parse_http_url("[fe80::1%eth0]:1").value() == HttpEndpoint{"fe80::1%eth0", 1});
  CHECK(parse_http_url("my-broker_1.example:8081").value() == HttpEndpoint{"my-broker_1.example", 8081});
  CHECK(HttpEndpoint{"::1", 8081}.url() == "http://[::1]:8081");
  CHECK(HttpEndpoint{"127.0.0.1", 1}.url() == "http://127.0.0.1:1");
}

TEST_CASE("http client: malformed API URLs are refused with a reason") {
  for (const char* bad : {"", "http://", "http://:80", "http://h:", "http://h:0", "http://h:65536", "http://h:-1",
                          "http://h:8o", "http://h:99999999999999999999", "http://h:1/x", "https://h:1", "ws://h:1",
                          "a:b:c", "[::1", "[]", "[::1]x", "http://[::1]:", "a b:80", "[[x]", "h]:80",
                          "[::1;x]:80", "b\x01:80"}) {
    auto r = parse_http_url(bad);
    CHECK_MESSAGE(!r, bad);
    if (!r) {
      CHECK(r.error().text().find(std::string("API URL \"") + bad + "\": ") == 0);
    }
  }
}

TEST_CASE("http client: replies") {
  auto r = parse_http_reply("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "{}");
  // Without Content-Length: the body is what came before the close.
  auto rest = parse_http_reply("HTTP/1.0 404 Not Found\r\n\r\nnothing here");
  REQUIRE(rest);
  CHECK(rest->status == 404);
  CHECK(rest->body == "nothing here");
  // Bytes past Content-Length are not the body; an empty reason phrase is valid.
  auto extra = parse_http_reply("HTTP/1.1 204\r\ncontent-length:  0 \r\n\r\ntrailing");
  REQUIRE(extra);
  CHECK(extra->status == 204);
  CHECK(extra->body.empty());
}

TEST_CASE("http client: malformed replies are refused with a reason") {
  struct Bad {
    const char* raw;
    const char* why;
  };
  for (const Bad& b : {Bad{"", "empty reply"},
                       Bad{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", "ended inside its headers"},
                       Bad{"HTTP/1.1 200 OK", "ended inside its headers"},
                       Bad{"SSH-2.0-OpenSSH\r\n\r\n", "malformed status line"},
                       Bad{"HTTP/1.1 20 OK\r\n\r\n", "malformed status line"},
                       Bad{"HTTP/1.1  200 OK\r\n\r\n", "malformed status"},
                       Bad{"HTTP/1.1 2x0 OK\r\n\r\n", "malformed status code"},
                       Bad{"HTTP/1.1 099 X\r\n\r\n", "malformed status code"},
                       Bad{"HTTP/1.1 600 X\r\n\r\n", "malformed status code"},
                       Bad{"HTTP/1.1 200OK\r\n\r\n", "malformed status line"},
                       Bad{"HTTP/2 200 OK\r\n\r\n", "malformed status line"},
                       Bad{"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "malformed header line"},
                       Bad{"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "malformed header line"},
                       Bad{"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", "malformed Content-Length"},
                       Bad{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "malformed Content-Length"},
                       Bad{"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", "malformed Content-Length"},
                       Bad{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                           "malformed Content-Length"},
                       Bad{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "5 bytes short"},
                       Bad{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                           "unsupported Transfer-Encoding"}}) {
    auto r = parse_http_reply(b.raw);
    CHECK_MESSAGE(!r, b.raw);
    if (!r) {
      CHECK_MESSAGE(r.error().text().find(b.why) != std::string::npos, r.error().text());
    }
  }
}

TEST_CASE("http client: Basic authorization (RFC 7617 section 2)") {
  CHECK(basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(basic_authorization("", "") == "Basic Og==");
}

TEST_CASE("http client: a refused connection names the endpoint") {
  // Port 1 on loopback: nothing listens there in the test environment.
  auto r = http_exchange(HttpEndpoint{"127.0.0.1", 1}, HttpRequest{}, std::chrono::milliseconds(2000));
  REQUIRE_FALSE(r);
  CHECK(r.error().text().find("http://127.0.0.1:1: ") == 0);
}
