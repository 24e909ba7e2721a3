#pragma once
// An accepted connection's place in the open-connection counts: the broker's
// (max_connections) and its listener's. The listener's admission takes it and
// hands it over with the socket; the connection gives it back when it closes,
// or whoever drops it unused does. A connection the broker opens itself (an
// MQTT bridge's) has none.

#include <cstdint>
#include <memory>
#include <utility>

#include "core/listen/listener_shared.hpp"

namespace actormq::core {

/// Owner-only, like the connection holding it; giving the place back is
/// thread-safe (atomic counts).
class ConnectionSlot {
 public:
  struct Taken;

  /// No place: a connection the broker opened.
  ConnectionSlot() = default;
  /// Thread-safe. Counts one more connection on `listener` and broker-wide.
  [[nodiscard]] static Taken take(const std::shared_ptr<ListenerShared>& listener);

  ConnectionSlot(ConnectionSlot&& other) noexcept : listener_(std::exchange(other.listener_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
      release();
      listener_ = std::exchange(other.listener_, nullptr);
    }
    return *this;
  }
  ~ConnectionSlot() { release(); }

  /// Gives the place back, once: the slot holds none afterwards, nor anything
  /// of its listener (an offline session keeps no listener alive).
  void release() {
    if (ListenerShared* l = std::exchange(listener_, nullptr)) {
      l->broker_open.fetch_sub(1, std::memory_order_relaxed);
      l->open.fetch_sub(1, std::memory_order_relaxed);
      l->drop();
    }
  }
  bool held() const { return listener_ != nullptr; }
  /// The listener that accepted the connection; null once released or for none.
  const ListenerShared* listener() const { return listener_; }
  /// What wraps the accepted socket (TLS, WebSocket); null for plain TCP or without a listener.
  const net::Transport* transport() const { return listener_ ? listener_->transport.get() : nullptr; }

 private:
  // Holds `listener` (ListenerShared::hold), which release() lets go.
  explicit ConnectionSlot(ListenerShared* listener) : listener_(listener) { listener_->hold(); }

  ListenerShared* listener_ = nullptr;  ///< null: no place held
};

/// A place just taken, and the counts it made (itself included), for the
/// admission to hold against the limits.
struct ConnectionSlot::Taken {
  ConnectionSlot slot;
  std::int64_t broker_open;
  std::int64_t listener_open;
};

inline ConnectionSlot::Taken ConnectionSlot::take(const std::shared_ptr<ListenerShared>& listener) {
  std::int64_t broker = listener->broker_open.fetch_add(1, std::memory_order_relaxed) + 1;
  std::int64_t here = listener->open.fetch_add(1, std::memory_order_relaxed) + 1;
  return Taken{ConnectionSlot(listener.get()), broker, here};
}

}  // namespace actormq::core
