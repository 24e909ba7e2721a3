#include "net/dial.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace actormq::net {

namespace {

struct Address {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

std::optional<Address> resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  Address a;
  std::memcpy(&a.addr, found->ai_addr, found->ai_addrlen);
  a.len = found->ai_addrlen;
  freeaddrinfo(found);
  return a;
}

}  // namespace

DialStarted start_dial(const std::string& host, std::uint16_t port) {
  auto addr = resolve(host, port);
  if (!addr) {
    return {-1, "cannot resolve " + host};
  }
  int fd = ::socket(addr->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return {-1, std::string("socket: ") + std::strerror(errno)};
  }
  int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr->addr), addr->len) != 0 && errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    return {-1, std::string("connect: ") + std::strerror(err)};
  }
  return {fd, {}};
}

int dial_outcome(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    return errno;
  }
  return err;
}

}  // namespace actormq::net
