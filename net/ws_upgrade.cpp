#include "net/ws_upgrade.hpp"

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>

#include <algorithm>
#include <array>

namespace actormq::net {

namespace {

UpgradeResult refuse_upgrade(int status, std::string reason, std::string_view extra_headers = {}) {
  return {status, http_error(status, extra_headers), std::move(reason), {}};
}

bool valid_key(std::string_view key) {
  // RFC 6455 4.2.1: base64 of 16 bytes.
  std::array<unsigned char, 32> raw{};
  std::size_t n = 0;
  return key.size() == 24 &&
         mbedtls_base64_decode(raw.data(), raw.size(), &n, reinterpret_cast<const unsigned char*>(key.data()),
                               key.size()) == 0 &&
         n == 16;
}

}  // namespace

std::string websocket_accept(std::string_view key) {
  static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 1.3
  std::string input = std::string(key) + std::string(guid);
  std::array<unsigned char, 20> digest{};
  mbedtls_sha1_ret(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  std::array<unsigned char, 32> text{};
  std::size_t n = 0;
  mbedtls_base64_encode(text.data(), text.size(), &n, digest.data(), digest.size());
  return std::string(reinterpret_cast<const char*>(text.data()), n);
}

UpgradeResult answer_upgrade(std::string_view text, const WsOptions& options) {
  HttpLimits limits;
  limits.max_header_bytes = options.max_header_bytes;
  ParsedHead head = parse_head(text, limits);
  if (head.error_status != 0) {
    return refuse_upgrade(head.error_status, (head.error_status == 400 ? "malformed HTTP request: " : "HTTP request: ") +
                                         head.reason);
  }
  const HttpRequest& r = head.request;
  auto header = [&r](const std::string& name) { return r.header(name); };
  // RFC 6455 4.2.1: a GET with Upgrade: websocket and Connection: Upgrade.
  if (r.method != "GET" || !has_token(header("upgrade"), "websocket") ||
      !has_token(header("connection"), "upgrade")) {
    return refuse_upgrade(400, "HTTP " + r.method + " request is not a WebSocket upgrade");
  }
  const std::string& path = r.path;
  if (path != options.path) {
    return refuse_upgrade(404, "WebSocket upgrade for " + path + ", not the listener's path " + options.path);
  }
  if (header("sec-websocket-version") != "13") {
    return refuse_upgrade(426, "unsupported Sec-WebSocket-Version '" + header("sec-websocket-version") + "'",
                  "Sec-WebSocket-Version: 13\r\n");
  }
  std::string key = header("sec-websocket-key");
  if (!valid_key(key)) {
    return refuse_upgrade(400, "missing or malformed Sec-WebSocket-Key");
  }
  std::string origin = header("origin");
  if (!options.allowed_origins.empty() && !origin.empty() &&
      std::find(options.allowed_origins.begin(), options.allowed_origins.end(), origin) ==
          options.allowed_origins.end()) {
    return refuse_upgrade(403, "Origin " + origin + " not in allowed_origins");
  }
  std::vector<std::string> offered = header_tokens(header("sec-websocket-protocol"));
  std::string chosen;
  for (const std::string& ours : options.subprotocols) {
    if (std::find(offered.begin(), offered.end(), ours) != offered.end()) {
      chosen = ours;
      break;
    }
  }
  if (chosen.empty() && !options.subprotocols.empty()) {
    std::string list;
    for (const std::string& p : options.subprotocols) {
      list += (list.empty() ? "" : ", ") + p;
    }
    return refuse_upgrade(400, "no supported WebSocket subprotocol offered (" + list + ")");
  }
  std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: " + websocket_accept(key) + "\r\n";
  if (!chosen.empty()) {
    response += "Sec-WebSocket-Protocol: " + chosen + "\r\n";
  }
  response += "\r\n";
  return {101, std::move(response), {}, std::move(chosen)};
}

}  // namespace actormq::net
