#pragma once
// A connected pair of loopback TCP sockets for the net/ unit tests.

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace actormq::net::testing {

struct LoopbackFds {
  int accepted = -1;  ///< non-blocking
  int dialled = -1;   ///< non-blocking if asked (its connect may then be in progress)
};

inline LoopbackFds loopback_pair(bool nonblocking_dialled) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  LoopbackFds fds;
  fds.dialled = ::socket(AF_INET, SOCK_STREAM | (nonblocking_dialled ? SOCK_NONBLOCK : 0), 0);
  int rc = ::connect(fds.dialled, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  REQUIRE((rc == 0 || (nonblocking_dialled && errno == EINPROGRESS)));
  fds.accepted = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
  REQUIRE(fds.accepted >= 0);
  ::close(listener);
  return fds;
}

}  // namespace actormq::net::testing
