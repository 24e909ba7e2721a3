#pragma once
// The outward side of a TCP connection, without blocking: resolve a host,
// start a non-blocking connect(2), and read its outcome once the socket is
// writable. Node links (bridge/dist) and MQTT bridges (bridge/mqtt) dial
// through it; the caller adopts the fd (net::Socket::adopt) and arms write
// interest to learn when the connect is over.

#include <cstdint>
#include <string>

namespace actormq::net {

struct DialStarted {
  int fd = -1;        ///< non-blocking, TCP_NODELAY, connect in progress; -1 on failure
  std::string error;  ///< why, for a log line ("cannot resolve h", "connect: ...")
};

/// Resolves `host` (an IPv4 or IPv6 literal, or a name: names resolve
/// blocking, which is fine for the few, rarely dialled endpoints of links
/// and bridges) and starts connecting to its first address.
[[nodiscard]] DialStarted start_dial(const std::string& host, std::uint16_t port);

/// Once the fd of start_dial is writable: 0 if connected, else the errno
/// of the failed connect.
[[nodiscard]] int dial_outcome(int fd);

}  // namespace actormq::net
