#include "core/ctl/http_client.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>

#include "core/auth/crypto.hpp"
#include "net/http_request.hpp"

namespace actormq::core::ctl {

namespace {

using Clock = std::chrono::steady_clock;

// Closes the descriptor when it leaves scope.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
};

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on `fd` until the deadline; false on a timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, ms_left(deadline));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n > 0;
  }
}

// A non-blocking socket connected to one of the endpoint's addresses.
Result<int> connect_to(const HttpEndpoint& e, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(e.port);
  if (int rc = ::getaddrinfo(e.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Failure{e.url() + ": " + ::gai_strerror(rc)};
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  std::string why = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
      ::close(fd);
      continue;
    }
    if (!wait_for(fd, POLLOUT, deadline)) {
      why = "connection timed out";
      ::close(fd);
      continue;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      why = std::strerror(err);
      ::close(fd);
      continue;
    }
    return fd;
  }
  return Failure{e.url() + ": " + why};
}

std::string request_text(const HttpEndpoint& e, const HttpRequest& r) {
  std::string out = r.method + " " + r.path + " HTTP/1.1\r\nHost: " + e.host + ":" + std::to_string(e.port) +
                    "\r\nConnection: close\r\nAccept: application/json\r\n";
  if (!r.authorization.empty()) {
    out += "Authorization: " + r.authorization + "\r\n";
  }
  if (!r.body.empty() || r.method == "POST") {
    out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  return out + "\r\n" + r.body;
}

}  // namespace

std::string HttpEndpoint::url() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<HttpEndpoint> parse_http_url(std::string_view url) {
  const std::string quoted = "API URL \"" + std::string(url) + "\": ";
  if (url.starts_with("https://")) {
    return Failure{quoted + "https is not supported by actormq ctl; give the address of an http listener"};
  }
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else if (url.find("://") != std::string_view::npos) {
    return Failure{quoted + "only http:// is supported"};
  }
  if (auto slash = url.find('/'); slash != std::string_view::npos) {
    if (url.substr(slash) != "/") {
      return Failure{quoted + "give the listener's address only, without a path"};
    }
    url = url.substr(0, slash);
  }
  HttpEndpoint e;
  std::string_view port_text;
  if (url.starts_with('[')) {
    auto close = url.find(']');
    if (close == std::string_view::npos || close == 1) {
      return Failure{quoted + "malformed IPv6 address (expected [ADDRESS]:PORT)"};
    }
    e.host = std::string(url.substr(1, close - 1));
    std::string_view rest = url.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      return Failure{quoted + "expected :PORT after the IPv6 address"};
    }
    port_text = rest.empty() ? std::string_view("80") : rest.substr(1);
  } else {
    auto colon = url.find(':');
    if (colon != std::string_view::npos && url.find(':', colon + 1) != std::string_view::npos) {
      return Failure{quoted + "put an IPv6 address in brackets: http://[ADDRESS]:PORT"};
    }
    e.host = std::string(url.substr(0, colon));
    port_text = colon == std::string_view::npos ? std::string_view("80") : url.substr(colon + 1);
  }
  if (e.host.empty()) {
    return Failure{quoted + "no host"};
  }
  // A name or an IPv4 address; in brackets an IPv6 address (with a %zone).
  const bool v6 = e.host.find(':') != std::string::npos;
  for (char c : e.host) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) != 0 || c == '.' || c == '-' || c == '_' || (v6 && (c == ':' || c == '%')))) {
      return Failure{quoted + "the host may hold letters, digits, '.', '-' and '_' (an IPv6 address in brackets)"};
    }
  }
  auto port = parse_port(port_text);
  if (!port) {
    return Failure{quoted + "the port must be a number from 1 to 65535"};
  }
  e.port = *port;
  return e;
}

Result<HttpReply> parse_http_reply(std::string_view raw) {
  auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return Failure{raw.empty() ? "empty reply" : "the reply ended inside its headers"};
  }
  std::string_view head = raw.substr(0, head_end);
  std::string_view rest = raw.substr(head_end + 4);
  auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  // RFC 9112 4: HTTP-version SP 3DIGIT SP [reason-phrase]
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return Failure{"malformed status line \"" + std::string(status_line.substr(0, 80)) + "\""};
  }
  HttpReply reply;
  std::string_view code = status_line.substr(9, 3);
  auto [end, ec] = std::from_chars(code.data(), code.data() + 3, reply.status);
  if (ec != std::errc() || end != code.data() + 3 || reply.status < 100 || reply.status > 599) {
    return Failure{"malformed status code \"" + std::string(code) + "\""};
  }
  std::optional<std::size_t> length;
  std::string_view headers = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!headers.empty()) {
    auto eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Failure{"malformed header line \"" + std::string(line.substr(0, 80)) + "\""};
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = net::trim_ows(line.substr(colon + 1));
    if (net::iequals(name, "Transfer-Encoding")) {
      return Failure{"unsupported Transfer-Encoding \"" + std::string(value) + "\""};
    }
    if (net::iequals(name, "Content-Length")) {
      std::size_t n = 0;
      auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || e != std::errc() || p != value.data() + value.size() || (length && *length != n)) {
        return Failure{"malformed Content-Length \"" + std::string(value) + "\""};
      }
      length = n;
    }
  }
  if (length) {
    if (rest.size() < *length) {
      return Failure{"the reply ended " + std::to_string(*length - rest.size()) + " bytes short of its Content-Length"};
    }
    rest = rest.substr(0, *length);
  }
  reply.body = std::string(rest);
  return reply;
}

Result<HttpReply> http_exchange(const HttpEndpoint& endpoint, const HttpRequest& request,
                                std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto connected = connect_to(endpoint, deadline);
  if (!connected) {
    return std::move(connected).error();
  }
  Socket sock(*connected);
  const std::string out = request_text(endpoint, request);
  std::size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(sock.fd(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(sock.fd(), POLLOUT, deadline)) {
        return Failure{endpoint.url() + ": timed out sending the request"};
      }
    } else {
      return Failure{endpoint.url() + ": " + std::strerror(errno)};
    }
  }
  std::string in;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(sock.fd(), buf, sizeof buf, 0);
    if (n > 0) {
      in.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      break;
    }
    if (errno != EAGAIN && errno != EINTR) {
      return Failure{endpoint.url() + ": " + std::strerror(errno)};
    }
    if (!wait_for(sock.fd(), POLLIN, deadline)) {
      return Failure{endpoint.url() + ": no reply within " + std::to_string(timeout.count()) + " ms"};
    }
  }
  auto reply = parse_http_reply(in);
  if (!reply) {
    return std::move(reply).error().prefixed(endpoint.url() + ": ");
  }
  return reply;
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  const std::string pair = std::string(user) + ":" + std::string(password);
  return "Basic " + crypto::base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(pair.data()), pair.size()));
}

}  // namespace actormq::core::ctl
