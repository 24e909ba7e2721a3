#include "net/http_request.hpp"

#include <algorithm>
#include <cctype>

#include "net/hex.hpp"

namespace actormq::net {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// RFC 9110 5.6.2: tchar.
bool is_token_char(unsigned char c) {
  return std::isalnum(c) != 0 || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_token_char(static_cast<unsigned char>(c)); });
}

// RFC 9110 5.5: field values are visible characters, spaces, tabs and obs-text.
bool is_field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u == '\t' || u >= 0x20 ? u != 0x7f : false;
  });
}

// The request target: origin-form ("/path?query") or "*" (RFC 9112 3.2),
// visible ASCII only.
bool is_target(std::string_view s) {
  return !s.empty() && (s.front() == '/' || s == "*") && std::all_of(s.begin(), s.end(), [](char c) {
           auto u = static_cast<unsigned char>(c);
           return u > 0x20 && u < 0x7f;
         });
}

ParsedHead refuse(int status, std::string reason) {
  ParsedHead out;
  out.error_status = status;
  out.reason = std::move(reason);
  return out;
}

// "HTTP/1.0" or "HTTP/1.1": the minor version; -1 otherwise.
int minor_version_of(std::string_view version) {
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || (version[7] != '0' && version[7] != '1')) {
    return -1;
  }
  return version[7] - '0';
}

// Content-Length (RFC 9112 6.3): digits only; repeats must agree.
std::optional<std::size_t> content_length_of(std::string_view value) {
  std::optional<std::size_t> length;
  for (const std::string& item : header_tokens(value)) {
    if (item.empty() || item.size() > 15 ||
        !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    std::size_t n = std::stoull(item);
    if (length && *length != n) {
      return std::nullopt;
    }
    length = n;
  }
  return length;
}

// The request line; an empty reason when it parsed.
std::string parse_request_line(std::string_view line, HttpRequest& r) {
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return "malformed request line";
  }
  r.method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  r.minor_version = minor_version_of(line.substr(sp2 + 1));
  if (!is_token(r.method)) {
    return "malformed method";
  }
  if (r.minor_version < 0) {
    return "not HTTP/1.0 or HTTP/1.1";
  }
  if (!is_target(r.target)) {
    return "malformed request target";
  }
  std::size_t q = r.target.find('?');
  auto path = percent_decode(std::string_view(r.target).substr(0, q), false);
  if (!path) {
    return "malformed escape in the path";
  }
  r.path = std::move(*path);
  r.query = q == std::string::npos ? std::string{} : r.target.substr(q + 1);
  return {};
}

}  // namespace

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string HttpRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string{} : it->second;
}

bool HttpRequest::keep_alive() const {
  std::string connection = header("connection");
  if (minor_version == 0) {
    return has_token(connection, "keep-alive");
  }
  return !has_token(connection, "close");
}

std::size_t find_header_end(std::string_view data) {
  std::size_t at = data.find("\r\n\r\n");
  return at == std::string_view::npos ? at : at + 4;
}

bool plausible_request_line(std::string_view data) {
  std::string_view line = data.substr(0, data.find('\n'));
  return std::all_of(line.begin(), line.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u >= 0x20 && u < 0x7f) || c == '\r';
  });
}

ParsedHead parse_head(std::string_view text, const HttpLimits& limits) {
  if (text.size() > limits.max_header_bytes) {
    return refuse(431, "request line and headers larger than " + std::to_string(limits.max_header_bytes) + " bytes");
  }
  ParsedHead out;
  HttpRequest& r = out.request;
  std::size_t eol = text.find("\r\n");
  if (eol == std::string_view::npos) {
    return refuse(400, "malformed request line");
  }
  if (std::string reason = parse_request_line(text.substr(0, eol), r); !reason.empty()) {
    return refuse(400, std::move(reason));
  }
  text.remove_prefix(eol + 2);
  while (!text.empty() && text.substr(0, 2) != "\r\n") {
    eol = text.find("\r\n");
    if (eol == std::string_view::npos) {
      return refuse(400, "malformed header field");
    }
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 2);
    std::size_t colon = line.find(':');
    // No name, whitespace before the colon, or obsolete line folding (RFC 9112 5.1, 5.2).
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      return refuse(400, "malformed header field");
    }
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_field_value(value)) {
      return refuse(400, "control character in a header value");
    }
    auto [it, inserted] = r.headers.emplace(lower(line.substr(0, colon)), std::string(value));
    if (!inserted) {
      it->second += ", " + std::string(value);
    }
  }
  if (r.headers.contains("transfer-encoding")) {
    // RFC 9112 6.1: a server that does not understand a coding refuses it.
    return refuse(400, "Transfer-Encoding is not supported; send Content-Length");
  }
  if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
    std::optional<std::size_t> length = content_length_of(it->second);
    if (!length) {
      return refuse(400, "malformed Content-Length");
    }
    if (*length > limits.max_body_bytes) {
      return refuse(413, "body of " + std::to_string(*length) + " bytes; the limit is " +
                             std::to_string(limits.max_body_bytes));
    }
    out.content_length = *length;
  }
  return out;
}

std::vector<std::string> header_tokens(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view item = trim_ows(value.substr(0, comma));
    if (!item.empty()) {
      out.emplace_back(item);
    }
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
  return out;
}

bool has_token(std::string_view value, std::string_view token) {
  std::string wanted = lower(token);
  for (const std::string& t : header_tokens(value)) {
    if (lower(t) == wanted) {
      return true;
    }
  }
  return false;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      int lo = hi >= 0 ? hex_value(text[i + 2]) : -1;
      if (lo < 0) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) {
      continue;
    }
    std::size_t eq = item.find('=');
    auto name = percent_decode(item.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1), true);
    if (!name || !value) {
      return std::nullopt;
    }
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

}  // namespace actormq::net
