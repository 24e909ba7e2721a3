#include <doctest/doctest.h>

#include <string>

#include "net/http_request.hpp"
#include "net/http_response.hpp"

using namespace actormq::net;

namespace {

ParsedHead parse(const std::string& head, HttpLimits limits = {}) { return parse_head(head, limits); }

}  // namespace

TEST_CASE("http request: a GET with a query, headers folded to lower case, repeats joined") {
  ParsedHead h = parse("GET /api/v1/clients/a%2Fb?page=2&limit=10 HTTP/1.1\r\nHost: x\r\nX-Two: a\r\n"
                       "x-two: b\r\nAuthorization:  Basic abc \r\n\r\n");
  REQUIRE(h.error_status == 0);
  CHECK(h.request.method == "GET");
  CHECK(h.request.target == "/api/v1/clients/a%2Fb?page=2&limit=10");
  CHECK(h.request.path == "/api/v1/clients/a/b");
  CHECK(h.request.query == "page=2&limit=10");
  CHECK(h.request.minor_version == 1);
  CHECK(h.request.header("x-two") == "a, b");
  CHECK(h.request.header("authorization") == "Basic abc");
  CHECK(h.content_length == 0);
  CHECK(h.request.keep_alive());
}

TEST_CASE("http request: keep-alive by version and Connection") {
  CHECK_FALSE(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").request.keep_alive());
  CHECK_FALSE(parse("GET / HTTP/1.0\r\n\r\n").request.keep_alive());
  CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request.keep_alive());
}

TEST_CASE("http request: Content-Length is read and bounded") {
  CHECK(parse("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n").content_length == 5);
  CHECK(parse("POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n").content_length == 5);
  HttpLimits small;
  small.max_body_bytes = 4;
  ParsedHead big = parse("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n", small);
  CHECK(big.error_status == 413);
  CHECK(big.reason.find("limit is 4") != std::string::npos);
}

TEST_CASE("http request: malformed requests are refused with 400") {
  const char* bad[] = {
      "GET\r\n\r\n",                                          // no target, no version
      "GET / HTTP/2.0\r\n\r\n",                               // not HTTP/1.x
      "GET / HTTP/1.1 extra\r\n\r\n",                         // too many parts
      "GET  / HTTP/1.1\r\n\r\n",                              // two spaces
      "G(T / HTTP/1.1\r\n\r\n",                               // not a token
      "GET api HTTP/1.1\r\n\r\n",                             // not origin-form
      "GET /a%zz HTTP/1.1\r\n\r\n",                           // bad escape
      "GET /a%2 HTTP/1.1\r\n\r\n",                            // short escape
      "GET / HTTP/1.1\r\nNoColon\r\n\r\n",                    // no colon
      "GET / HTTP/1.1\r\n: empty name\r\n\r\n",               // empty name
      "GET / HTTP/1.1\r\nName : v\r\n\r\n",                   // space before the colon
      "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",            // obsolete line folding
      "GET / HTTP/1.1\r\nA: b\x01c\r\n\r\n",                  // control character
      "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",        // not digits
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",  // disagree
      "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",    // overlong
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",             // unsupported coding
  };
  for (const char* text : bad) {
    CAPTURE(text);
    ParsedHead h = parse(text);
    CHECK(h.error_status == 400);
    CHECK_FALSE(h.reason.empty());
  }
}

TEST_CASE("http request: a head over its limit is 431") {
  HttpLimits limits;
  limits.max_header_bytes = 64;
  ParsedHead h = parse("GET / HTTP/1.1\r\nX-Long: " + std::string(80, 'a') + "\r\n\r\n", limits);
  CHECK(h.error_status == 431);
}

TEST_CASE("http request: the end of the head and a plausible request line") {
  CHECK(find_header_end("GET / HTTP/1.1\r\nA: b\r\n") == std::string::npos);
  CHECK(find_header_end("GET / HTTP/1.1\r\n\r\nbody") == 18);
  CHECK(plausible_request_line("GET /"));
  CHECK_FALSE(plausible_request_line(std::string("\x10\x0c\x00\x04MQTT", 8)));
}

TEST_CASE("http request: query strings decode, '+' as space, a bad escape refuses all") {
  auto q = parse_query("a=1&b=x+y%21&&flag&c=");
  REQUIRE(q);
  REQUIRE(q->size() == 4);
  CHECK((*q)[0] == std::make_pair(std::string("a"), std::string("1")));
  CHECK((*q)[1] == std::make_pair(std::string("b"), std::string("x y!")));
  CHECK((*q)[2] == std::make_pair(std::string("flag"), std::string("")));
  CHECK((*q)[3] == std::make_pair(std::string("c"), std::string("")));
  CHECK_FALSE(parse_query("a=%G1"));
  CHECK(percent_decode("a+b", false) == "a+b");
}

TEST_CASE("http response: status line, length, close, no header injection") {
  HttpResponse r;
  r.status = 404;
  r.content_type = "application/json";
  r.body = "{}";
  r.headers = {{"Allow", "GET"}, {"X-Evil", "a\r\nSet-Cookie: x"}};
  r.close = true;
  std::string text = serialize(r);
  CHECK(text == "HTTP/1.1 404 Not Found\r\nAllow: GET\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                "Connection: close\r\n\r\n{}");
}

TEST_CASE("http response: a 204 has no Content-Length (RFC 9110 8.6)") {
  HttpResponse r;
  r.status = 204;
  CHECK(serialize(r) == "HTTP/1.1 204 No Content\r\n\r\n");
}
