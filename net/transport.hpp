#pragma once
// How a listener's accepted sockets become streams: nothing for plain TCP,
// TLS, WebSocket, or WebSocket over TLS. One Transport per listener config,
// shared by its listener processes on every scheduler.

#include "net/socket.hpp"
#include "net/stream.hpp"

namespace actormq::net {

/// Thread-safe once built. Must outlive every stream it made (each stream
/// lets go of it in close()).
class Transport {
 public:
  virtual ~Transport() = default;
  /// Wraps an accepted socket, taking ownership of it.
  [[nodiscard]] virtual Stream* wrap(Socket* socket) const = 0;
};

}  // namespace actormq::net
