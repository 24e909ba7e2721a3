#pragma once
// A small blocking HTTP/1.1 client for `actormq ctl`: one request per
// connection (Connection: close), plain TCP, bounded by a timeout. Enough
// for the broker's own API (core/http/), which answers with Content-Length.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace actormq::core::ctl {

/// Where the API listens.
struct HttpEndpoint {
  std::string host;        ///< a name or an address; IPv6 without brackets
  std::uint16_t port = 0;  ///< 1..65535

  /// "http://host:port", brackets around an IPv6 address.
  [[nodiscard]] std::string url() const;
  friend bool operator==(const HttpEndpoint&, const HttpEndpoint&) = default;
};

/// "http://HOST[:PORT][/]" or "HOST[:PORT]" (port 80 when omitted; an IPv6
/// address in brackets). https and paths are refused with a reason.
[[nodiscard]] Result<HttpEndpoint> parse_http_url(std::string_view url);

struct HttpReply {
  int status = 0;  ///< 100..599
  std::string body;
};

/// A whole response as read until the server closed: status line, headers,
/// then the body (exactly Content-Length bytes when given, else the rest).
[[nodiscard]] Result<HttpReply> parse_http_reply(std::string_view raw);

struct HttpRequest {
  std::string method = "GET";
  std::string path = "/";
  std::string authorization;  ///< the header's value; "": none
  std::string body;           ///< sent as application/json when not empty
};

/// Sends `request` to `endpoint` and reads the reply; fails with a sentence
/// naming the endpoint (connection refused, timed out, malformed reply).
[[nodiscard]] Result<HttpReply> http_exchange(const HttpEndpoint& endpoint, const HttpRequest& request,
                                              std::chrono::milliseconds timeout);

/// The Authorization value of HTTP Basic (RFC 7617) for `user` and `password`.
[[nodiscard]] std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace actormq::core::ctl
