#pragma once
// The outward side of a TCP connection, without blocking: resolve a host,
// start a non-blocking connect(2), and read its outcome once the socket is
// writable. Node links (bridge/dist) and MQTT bridges (bridge/mqtt) dial
// through it; the caller adopts the fd (net::Socket::adopt) and arms write
// interest to learn when the connect is over.

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace actormq::net {

/// Where to connect: one address of a host, with the port.
struct DialAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

/// `host` as an address when it is an IPv4 or IPv6 literal (no resolver
/// asked, never blocks); nothing for a name.
[[nodiscard]] std::optional<DialAddress> numeric_address(const std::string& host, std::uint16_t port);

/// Resolves the name `host` on `loop`'s thread pool, so that a slow or
/// unreachable DNS server stalls no scheduler; `done` runs on the loop's
/// thread with the address (the first IPv4 one, else the first), or nothing
/// and why not. A loop that is
/// closing waits for the answer (the resolver's own timeout bounds it).
using Resolved = std::function<void(std::optional<DialAddress>, const std::string& error)>;
void resolve_async(uv_loop_t* loop, const std::string& host, std::uint16_t port, Resolved done);

struct DialStarted {
  int fd = -1;        ///< non-blocking, TCP_NODELAY, connect in progress; -1 on failure
  std::string error;  ///< why, for a log line ("cannot resolve h", "connect: ...")
};

/// Starts connecting to `to`.
[[nodiscard]] DialStarted start_dial(const DialAddress& to);
/// Resolves `host` (an IPv4 or IPv6 literal, or a name: names resolve
/// blocking here; resolve_async does not block) and starts connecting to
/// its first address.
[[nodiscard]] DialStarted start_dial(const std::string& host, std::uint16_t port);

/// Once the fd of start_dial is writable: 0 if connected, else the errno
/// of the failed connect.
[[nodiscard]] int dial_outcome(int fd);

}  // namespace actormq::net
