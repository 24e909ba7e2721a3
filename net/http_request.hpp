#pragma once
// HTTP/1.1 requests as a server reads them (RFC 9112): the request line and
// header fields, the body length they announce, and the query string. Pure:
// no I/O, so every malformed request has a unit test and a fuzz target
// (tests/fuzz/fuzz_http_request.cpp). The WebSocket upgrade
// (net/ws_upgrade.hpp) and the HTTP API's connections (core/http/) both
// read their requests with it.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actormq::net {

/// Bounds on what one request may hold.
struct HttpLimits {
  std::size_t max_header_bytes = 16 * 1024;  ///< request line and headers together, blank line included
  std::size_t max_body_bytes = 1 << 20;      ///< Content-Length accepted
};

struct HttpRequest {
  std::string method;  ///< as sent (case-sensitive, RFC 9110 9.1)
  std::string target;  ///< as sent
  std::string path;    ///< the target before '?', percent-decoded
  std::string query;   ///< the target after '?', raw
  int minor_version = 1;  ///< HTTP/1.<minor_version>
  std::map<std::string, std::string> headers;  ///< lower-case names; repeats joined by ", "
  std::string body;

  /// The value of header `name` (lower case), or "".
  [[nodiscard]] std::string header(const std::string& name) const;
  /// HTTP/1.1 keeps the connection unless it says close; HTTP/1.0 closes
  /// unless it says keep-alive (RFC 9112 9.3).
  [[nodiscard]] bool keep_alive() const;
};

/// A request head read, or the HTTP status that refuses it.
struct ParsedHead {
  int error_status = 0;  ///< 0: parsed; else 400, 413 or 431
  std::string reason;    ///< with an error: why, for the log and the answer
  HttpRequest request;   ///< without a body yet
  std::size_t content_length = 0;  ///< body bytes that follow the head
};

/// Where the request's header block ends (just past the blank line), or
/// npos while incomplete.
[[nodiscard]] std::size_t find_header_end(std::string_view data);

/// False when the first line so far holds a byte no request line may hold
/// (e.g. MQTT bytes sent to an HTTP port): refused at once, not at a timeout.
[[nodiscard]] bool plausible_request_line(std::string_view data);

/// Parses one complete head (up to and including its blank line).
[[nodiscard]] ParsedHead parse_head(std::string_view head, const HttpLimits& limits);

/// The comma-separated tokens of a header value (RFC 9110 5.6.1), trimmed.
[[nodiscard]] std::vector<std::string> header_tokens(std::string_view value);
/// True if the header value lists `token` (compared case-insensitively).
[[nodiscard]] bool has_token(std::string_view value, std::string_view token);
/// `s` without the optional white space (spaces, tabs) around a header value (RFC 9110 5.6.3).
[[nodiscard]] std::string_view trim_ows(std::string_view s);
/// ASCII case-insensitive equality, as header names compare.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);

/// %XX decoded (and '+' as a space when `plus_is_space`); nullopt for a
/// malformed escape.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);
/// name=value pairs of a query string, decoded; nullopt if one is malformed.
[[nodiscard]] std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

}  // namespace actormq::net
