#include "net/ws_upgrade.hpp"

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

namespace actormq::net {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The comma-separated tokens of a header value (RFC 7230 section 7), trimmed.
std::vector<std::string> tokens(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (!item.empty()) {
      out.emplace_back(item);
    }
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
  return out;
}

bool has_token(std::string_view value, std::string_view token) {
  for (const std::string& t : tokens(value)) {
    if (lower(t) == token) {
      return true;
    }
  }
  return false;
}

const char* status_text(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 426:
      return "Upgrade Required";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

UpgradeResult refuse(int status, std::string reason, std::string_view extra_headers = {}) {
  return {status, http_error(status, extra_headers), std::move(reason), {}};
}

struct Request {
  std::string method;
  std::string target;
  std::string version;
  std::map<std::string, std::string> headers;  // lower-case names; repeats joined by ", "
};

// Request line and header fields; false when they are not HTTP/1.x syntax.
bool parse_request(std::string_view text, Request& out) {
  std::size_t eol = text.find("\r\n");
  std::string_view line = text.substr(0, eol);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = line.rfind(' ');
  if (eol == std::string_view::npos || sp1 == std::string_view::npos || sp2 == sp1) {
    return false;
  }
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.version = line.substr(sp2 + 1);
  if (out.version.rfind("HTTP/1.", 0) != 0 || out.target.empty()) {
    return false;
  }
  text.remove_prefix(eol + 2);
  while (!text.empty() && text.substr(0, 2) != "\r\n") {
    eol = text.find("\r\n");
    if (eol == std::string_view::npos) {
      return false;
    }
    line = text.substr(0, eol);
    text.remove_prefix(eol + 2);
    std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos || line.front() == ' ' || line.front() == '\t') {
      return false;  // no name, or obsolete line folding (RFC 7230 3.2.4)
    }
    std::string name = lower(line.substr(0, colon));
    std::string value(trim(line.substr(colon + 1)));
    auto [it, inserted] = out.headers.emplace(name, value);
    if (!inserted) {
      it->second += ", " + value;
    }
  }
  return true;
}

std::string header(const Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string{} : it->second;
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

std::size_t find_header_end(std::string_view data) {
  std::size_t at = data.find("\r\n\r\n");
  return at == std::string_view::npos ? at : at + 4;
}

std::string http_error(int status, std::string_view extra_headers) {
  return "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n" + std::string(extra_headers) +
         "Connection: close\r\nContent-Length: 0\r\n\r\n";
}

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
  if (text.size() > options.max_header_bytes) {
    return refuse(431, "HTTP request headers larger than " + std::to_string(options.max_header_bytes) + " bytes");
  }
  Request r;
  if (!parse_request(text, r)) {
    return refuse(400, "malformed HTTP request");
  }
  // RFC 6455 4.2.1: a GET with Upgrade: websocket and Connection: Upgrade.
  if (r.method != "GET" || !has_token(header(r, "upgrade"), "websocket") ||
      !has_token(header(r, "connection"), "upgrade")) {
    return refuse(400, "HTTP " + r.method + " request is not a WebSocket upgrade");
  }
  std::string path = r.target.substr(0, r.target.find('?'));
  if (path != options.path) {
    return refuse(404, "WebSocket upgrade for " + path + ", not the listener's path " + options.path);
  }
  if (header(r, "sec-websocket-version") != "13") {
    return refuse(426, "unsupported Sec-WebSocket-Version '" + header(r, "sec-websocket-version") + "'",
                  "Sec-WebSocket-Version: 13\r\n");
  }
  std::string key = header(r, "sec-websocket-key");
  if (!valid_key(key)) {
    return refuse(400, "missing or malformed Sec-WebSocket-Key");
  }
  std::string origin = header(r, "origin");
  if (!options.allowed_origins.empty() && !origin.empty() &&
      std::find(options.allowed_origins.begin(), options.allowed_origins.end(), origin) ==
          options.allowed_origins.end()) {
    return refuse(403, "Origin " + origin + " not in allowed_origins");
  }
  std::vector<std::string> offered = tokens(header(r, "sec-websocket-protocol"));
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
    return refuse(400, "no supported WebSocket subprotocol offered (" + list + ")");
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
