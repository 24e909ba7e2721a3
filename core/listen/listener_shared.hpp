#pragma once
// What the listener processes of one listener config and the sessions they
// accepted share: the open-connection counts (core/listen/connection_slot.hpp),
// the transport that wraps each accepted socket and the per-listener settings
// a session needs.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/listen/connection_rate.hpp"
#include "net/tls_context.hpp"
#include "net/transport.hpp"

namespace actormq::core {

/// Thread-safe: built before the listener opens, then only the counters change.
struct ListenerShared {
  /// `broker_open`: the count of connections open on every listener
  /// (BrokerContext::connections), which outlives this. The listener and
  /// the broker hold it by the shared_ptr; each connection's slot by a
  /// plain pointer and the count below (8 bytes a connection, not 16).
  [[nodiscard]] static std::shared_ptr<ListenerShared> make(std::atomic<std::int64_t>& broker_open,
                                                            std::uint32_t connection_rate = 0) {
    return std::shared_ptr<ListenerShared>(new ListenerShared(broker_open, connection_rate),
                                           [](ListenerShared* l) { l->drop(); });
  }
  ListenerShared(const ListenerShared&) = delete;
  ListenerShared& operator=(const ListenerShared&) = delete;

  /// One holder more (a ConnectionSlot); drop() lets it go.
  void hold() noexcept { holders_.fetch_add(1, std::memory_order_relaxed); }
  /// One holder less; the last one deletes it.
  void drop() noexcept {
    if (holders_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete this;
    }
  }

  std::atomic<std::int64_t>& broker_open;  ///< connections open on all listeners
  std::atomic<std::int64_t> open{0};       ///< connections open on this listener
  /// The listener's max_connections (-1: only the broker-wide limit); a
  /// reload changes it in place, the connections open stay.
  std::atomic<std::int64_t> max_connections{-1};
  ConnectionRate rate;                ///< max_connection_rate
  std::string name;                   ///< "tls 127.0.0.1:8883", for logs
  /// Wraps accepted sockets (TLS, WebSocket); nullptr: plain TCP.
  std::shared_ptr<const net::Transport> transport;
  /// The TLS part of `transport` (tls, wss, https), which SIGHUP reloads; nullptr: none.
  std::shared_ptr<net::TlsContext> tls;
  /// Index of this listener's authentication and ACL rules in
  /// BrokerContext::security (sessions keep the index, not a pointer).
  std::uint16_t security_index = 0;
  /// Set when a reload closes the listener: its connections end, and one
  /// accepted just before is refused at CONNECT.
  std::atomic<bool> closed{false};

 private:
  ListenerShared(std::atomic<std::int64_t>& broker_open, std::uint32_t connection_rate)
      : broker_open(broker_open), rate(connection_rate) {}
  ~ListenerShared() = default;

  /// The shared_ptrs from make() (together, one) and the slots.
  std::atomic<std::int64_t> holders_{1};
};

}  // namespace actormq::core
