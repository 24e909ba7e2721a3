#pragma once
// A listener process per scheduler and listener config: it owns one
// SO_REUSEPORT socket on its scheduler's loop and, for every connection it
// admits, spawns on the same scheduler what its ConnectionFactory makes of it
// (an MQTT session; later an HTTP exchange or a node link). It knows nothing
// of what the connection speaks.

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "core/broker_context.hpp"
#include "core/config/config.hpp"
#include "core/listen/connection_slot.hpp"
#include "core/listen/listener_shared.hpp"
#include "core/result.hpp"
#include "net/tcp_listener.hpp"
#include "sched/process.hpp"

namespace actormq::net {
class CryptoPool;
}

namespace actormq::core {

/// What a listener config's processes and sessions share, with its
/// transport built (TLS files loaded and checked); or why it could not be.
using ListenerSetup = Result<std::shared_ptr<ListenerShared>>;
/// `max_packet_size` also bounds a WebSocket frame; `broker_open` counts the
/// connections of every listener (BrokerContext::connections); TLS
/// handshakes run on `crypto_pool` if not nullptr (net::TlsOptions::crypto_pool).
[[nodiscard]] ListenerSetup make_listener_shared(const ListenerConfig& config, std::uint32_t max_packet_size,
                                                 std::atomic<std::int64_t>& broker_open,
                                                 net::CryptoPool* crypto_pool = nullptr);

/// What an admitted connection becomes: the process that owns `fd` from now
/// on, and its `slot` in the connection counts, which it gives back when the
/// connection closes.
using ConnectionFactory = std::function<std::unique_ptr<sched::Process>(int fd, ConnectionSlot slot)>;

/// A listening socket of one listener config, as an upgrade hands it from
/// the old process to the new one (core/upgrade/): the new process adopts it
/// for the listener of its own config with the same type, bind and port
/// (the configured one: 0 for an ephemeral port).
struct ListenerSocket {
  ListenerType type = ListenerType::tcp;
  std::string bind;
  std::uint16_t configured_port = 0;
  int fd = -1;
};

/// What a listener process reports once it listens.
struct ListenerBound {
  std::uint16_t port = 0;
  int fd = -1;  ///< its socket, owned by the listener (valid while it runs)
};

/// Sent to every listener once all of them are listening: until then they
/// accept nothing (see Listener::on_start).
struct StartAccepting {};

class Listener : public sched::Process {
 public:
  /// `bound` receives the port once listening (or why not). `shared`
  /// is what this listener config's processes on all schedulers and their
  /// connections share; `supervisor` (on the same scheduler) starts and
  /// watches the processes `make` makes of the connections.
  /// `inherited_fd` >= 0: a listening socket to take (ListenerSocket)
  /// instead of binding bind:port.
  Listener(BrokerContext& ctx, std::string bind, std::uint16_t port, std::shared_ptr<ListenerShared> shared, ConnectionFactory make, sched::Pid supervisor,
           std::promise<Result<ListenerBound>> bound, int inherited_fd = -1);

 protected:
  void on_start() override;
  void on_message(sched::Message& msg) override;
  void on_exit(const sched::ExitReason& reason) override;

 private:
  void accept(int fd);

  BrokerContext& ctx_;
  std::string bind_;
  std::uint16_t port_;
  std::shared_ptr<ListenerShared> shared_;
  ConnectionFactory make_;
  sched::Pid supervisor_;
  std::promise<Result<ListenerBound>> bound_;
  int inherited_fd_;
  net::TcpListener* socket_ = nullptr;
};

}  // namespace actormq::core
