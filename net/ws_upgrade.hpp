#pragma once
// The server side of the WebSocket opening handshake (RFC 6455 section 4.2):
// one HTTP/1.1 request in (read by net/http_request.hpp), the 101 response or
// an HTTP error out. Pure: no I/O, so every malformed request has a unit test.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_request.hpp"
#include "net/http_response.hpp"

namespace actormq::net {

struct WsOptions {
  std::string path = "/mqtt";               ///< request target of the upgrade (query ignored)
  std::vector<std::string> subprotocols;    ///< ours, in order of preference; one must be offered
  std::vector<std::string> allowed_origins; ///< empty: any; else an Origin sent must be one of these
  std::size_t max_header_bytes = 8192;      ///< request line and headers together
  std::uint64_t max_frame_bytes = 1 << 20;  ///< largest frame payload accepted
};

struct UpgradeResult {
  int status = 0;          ///< 101 on success, else the HTTP error sent
  std::string response;    ///< the whole HTTP response to send
  std::string reason;      ///< on failure, why, for the log
  std::string subprotocol; ///< on success, the one chosen
};

/// Answers one complete request (up to and including its blank line).
[[nodiscard]] UpgradeResult answer_upgrade(std::string_view request, const WsOptions& options);

/// Sec-WebSocket-Accept for a Sec-WebSocket-Key (base64 of SHA-1 of key + GUID).
[[nodiscard]] std::string websocket_accept(std::string_view key);

}  // namespace actormq::net
