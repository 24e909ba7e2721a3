#include "core/config/cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace actormq::core {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Host names as RFC 1123 has them (dot-separated labels of 1..63 letters,
// digits and '-', not starting or ending with '-'; 253 bytes at most), with
// '_' allowed too: resolvers take it, and container service names use it.
bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t end = std::min(host.find('.', start), host.size());
    std::string_view label = host.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) { return is_letter(c) || is_digit(c) || c == '-' || c == '_'; })) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

bool valid_address(int family, const std::string& text) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(family, text.c_str(), buffer) == 1;
}

Result<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), is_digit)) {
    return Failure{"port must be 1..65535"};
  }
  unsigned value = 0;
  for (char c : text) {
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value < 1 || value > 65535) {
    return Failure{"port must be 1..65535"};
  }
  return static_cast<std::uint16_t>(value);
}

Result<SeedAddress> parse_bracketed(std::string_view text) {
  const std::size_t close = text.find(']');
  if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
    return Failure{"must be [IPv6 address]:port"};
  }
  std::string host(text.substr(1, close - 1));
  if (!valid_address(AF_INET6, host)) {
    return Failure{"host is not an IPv6 address"};
  }
  ACTORMQ_TRY(std::uint16_t port, parse_port(text.substr(close + 2)));
  return SeedAddress{std::move(host), port};
}

// Owns a file descriptor; closes it when it leaves scope.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The file's first bytes, at most `limit`.
Result<std::string> read_up_to(const Fd& fd, std::size_t limit, const std::string& path) {
  std::string out(limit, '\0');
  std::size_t got = 0;
  while (got < limit) {
    const ssize_t n = ::read(fd.get(), out.data() + got, limit - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Failure{path + ": cannot read: " + std::strerror(errno)};
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace

bool valid_node_name(std::string_view name) noexcept {
  return !name.empty() && name.size() <= max_node_name && std::all_of(name.begin(), name.end(), [](char c) {
    return is_letter(c) || is_digit(c) || c == '.' || c == '_' || c == '-' || c == '@';
  });
}

std::uint16_t derived_node_id(std::string_view name) noexcept {
  std::uint32_t hash = 2166136261u;
  for (char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return static_cast<std::uint16_t>(1 + hash % 65535);
}

Result<SeedAddress> parse_seed(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    return parse_bracketed(text);
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Failure{"must be host:port (e.g. 10.0.0.5:4370, node2.example:4370 or [::1]:4370)"};
  }
  std::string host(text.substr(0, colon));
  if (host.find(':') != std::string::npos) {
    return Failure{"an IPv6 address must be in brackets, e.g. [::1]:4370"};
  }
  const bool numeric = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return is_digit(c) || c == '.';
  });
  if (numeric ? !valid_address(AF_INET, host) : !valid_host_name(host)) {
    return Failure{numeric ? "host is not an IPv4 address" : "host is not a valid host name"};
  }
  ACTORMQ_TRY(std::uint16_t port, parse_port(text.substr(colon + 1)));
  return SeedAddress{std::move(host), port};
}

Status check_cookie(std::string_view cookie) {
  if (cookie.empty()) {
    return Failure{"must not be empty"};
  }
  if (cookie.size() > max_cookie) {
    return Failure{"must be at most " + std::to_string(max_cookie) + " bytes"};
  }
  if (cookie.find_first_of("\r\n") != std::string_view::npos) {
    return Failure{"must be one line"};
  }
  return mqtt::Ok{};
}

Result<std::string> read_cookie_file(const std::string& path) {
  // O_NONBLOCK: a FIFO put in the file's place must not hang the start; a
  // regular file reads the same without it.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    return Failure{path + ": cannot read: " + std::strerror(errno)};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return Failure{path + ": cannot read: " + std::strerror(errno)};
  }
  if (!S_ISREG(st.st_mode)) {
    return Failure{path + ": not a regular file"};
  }
  // The cookie is the cluster's password: like Erlang with .erlang.cookie,
  // refuse a file that others could read or replace.
  if ((st.st_mode & 077) != 0) {
    return Failure{path + ": group or others may access it (mode " + octal_mode(st.st_mode) +
                   "); the cookie is the cluster's password: chmod 600 " + path};
  }
  // A cookie and its line end, and one byte more to tell a longer file.
  ACTORMQ_TRY(std::string cookie, read_up_to(fd, max_cookie + 3, path));
  if (cookie.ends_with('\n')) {
    cookie.pop_back();
    if (cookie.ends_with('\r')) {
      cookie.pop_back();
    }
  }
  if (cookie.empty()) {
    return Failure{path + ": the cookie file is empty"};
  }
  if (auto checked = check_cookie(cookie); !checked) {
    return std::move(checked).error().prefixed(path + ": the cookie ");
  }
  return cookie;
}

Result<std::string> load_cookie(const ClusterConfig& cluster) {
  if (cluster.cookie) {
    if (auto checked = check_cookie(*cluster.cookie); !checked) {
      return std::move(checked).error().prefixed("cluster.cookie: ");
    }
    return *cluster.cookie;
  }
  if (!cluster.cookie_file) {
    return Failure{"cluster: set cookie_file or cookie"};
  }
  Result<std::string> read = read_cookie_file(*cluster.cookie_file);
  if (!read) {
    return std::move(read).error().prefixed("cluster.cookie_file: ");
  }
  return read;
}

}  // namespace actormq::core
