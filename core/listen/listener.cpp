#include "core/listen/listener.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "core/logger.hpp"
#include "net/tls_context.hpp"
#ifndef ACTORMQ_NO_WEBSOCKET
#include "net/ws_stream.hpp"
#endif
#include "sched/dynamic_supervisor.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

ListenerSetup make_listener_shared(const ListenerConfig& config, std::uint32_t max_packet_size,
                                   std::atomic<std::int64_t>& broker_open, net::CryptoPool* crypto_pool) {
  auto shared = ListenerShared::make(broker_open, static_cast<std::uint32_t>(config.max_connection_rate));
  shared->max_connections.store(config.max_connections, std::memory_order_relaxed);
  shared->name = std::string(listener_type_names[static_cast<std::size_t>(config.type)]) + " " + config.bind + ":" +
                 std::to_string(config.port);
  if (config.is_tls()) {
    net::TlsOptions tls;
    tls.certfile = config.certfile;
    tls.keyfile = config.keyfile;
    tls.keyfile_password = config.keyfile_password;
    if (tls.keyfile_password.empty()) {
      // Out of the config file, for operators who keep secrets in the environment.
      if (const char* password = std::getenv("ACTORMQ_KEYFILE_PASSWORD")) {
        tls.keyfile_password = password;
      }
    }
    tls.cafile = config.cafile;
    tls.capath = config.capath;
    tls.crlfile = config.crlfile;
    tls.require_certificate = config.require_certificate;
    tls.tls13_only = config.tls_version == "tlsv1.3";
    tls.ciphers = config.ciphers;
    tls.psk_hint = config.psk_hint;
    tls.psk_file = config.psk_file;
    tls.crypto_pool = crypto_pool;
    if (config.type == ListenerType::tls) {
      // "mqtt" is MQTT's ALPN name (IANA); AWS IoT's clients on port 443
      // ask for "x-amzn-mqtt-ca" for the same protocol.
      tls.alpn = {"mqtt", "x-amzn-mqtt-ca"};
    }
    auto made = net::TlsContext::create(tls);
    if (!made.context) {
      return Failure{made.error};
    }
    shared->tls = made.context;
    shared->transport = std::move(made.context);
  }
  if (config.is_websocket()) {
#ifdef ACTORMQ_NO_WEBSOCKET
    static_cast<void>(max_packet_size);  // the WebSocket frames' limit
    return Failure{shared->name + ": this actormq binary was built without WebSocket support (a static build without libwslay.a)"};
#else
    net::WsOptions ws;
    ws.path = config.path;
    ws.subprotocols = {"mqtt", "mqttv3.1"};  // MQTT 6.0: 3.1.1 and 5.0, and 3.1's name
    ws.allowed_origins = config.allowed_origins;
    ws.max_frame_bytes = max_packet_size;
    shared->transport = std::make_shared<net::WsTransport>(std::move(ws), std::move(shared->transport));
#endif
  }
  return shared;
}

Listener::Listener(BrokerContext& ctx, std::string bind, std::uint16_t port,
                   std::shared_ptr<ListenerShared> shared,
                   ConnectionFactory make, sched::Pid supervisor,
                   std::promise<Result<ListenerBound>> bound, int inherited_fd)
    : ctx_(ctx), bind_(std::move(bind)), port_(port),
      shared_(std::move(shared)), make_(std::move(make)), supervisor_(supervisor), bound_(std::move(bound)),
      inherited_fd_(inherited_fd) {}

void Listener::on_start() {
  auto on_accept = [this](int fd) { accept(fd); };
  auto opened = inherited_fd_ >= 0 ? net::TcpListener::adopt(scheduler().loop(), inherited_fd_, on_accept)
                                   : net::TcpListener::open(scheduler().loop(), bind_, port_, on_accept);
  if (opened.listener == nullptr) {
    bound_.set_value(Failure{opened.error});
    exit(sched::ExitReason::error(opened.error));
    return;
  }
  socket_ = opened.listener;
  // Not yet: a flood of connections accepted here could use up the process's
  // descriptors before the next scheduler's socket is opened, and the broker
  // would fail to start ("cannot listen: Too many open files").
  socket_->pause(true);
  bound_.set_value(ListenerBound{socket_->port(), socket_->fd()});
}

void Listener::on_message(sched::Message& msg) {
  if (msg.is<StartAccepting>() && socket_ != nullptr) {
    socket_->pause(false);
  }
}

void Listener::accept(int fd) {
  auto now_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now().time_since_epoch())
                                               .count());
  ConnectionRate::Admission admission = shared_->rate.admit(now_ms);
  if (!admission.admitted) {
    ::close(fd);
    if (admission.report > 0) {
      ACTORMQ_LOG_NOTICE("listener " << shared_->name << ": " << admission.report
                                     << " connection(s) refused: max_connection_rate "
                                     << shared_->rate.per_second() << "/s reached");
    }
    return;
  }
  ConnectionSlot::Taken taken = ConnectionSlot::take(shared_);
  const Limits& limits = ctx_.limits.get();
  bool over_broker = limits.max_connections >= 0 && taken.broker_open > limits.max_connections;
  const std::int64_t max_connections = shared_->max_connections.load(std::memory_order_relaxed);
  bool over_listener = max_connections >= 0 && taken.listener_open > max_connections;
  if (over_broker || over_listener) {
    taken.slot.release();
    ::close(fd);
    ACTORMQ_LOG_NOTICE("listener " << shared_->name << ": connection refused: max_connections reached");
    return;
  }
  // The connection's process runs under this scheduler's supervisor, here.
  sched::ChildSpec spec;
  spec.id = "connection";
  spec.restart = sched::Restart::temporary;
  spec.options.scheduler = static_cast<int>(scheduler().id());
  spec.options.pinned = true;
  // A ChildSpec's maker is copyable; the slot is not: it waits in a holder
  // and goes back with the spec should the connection never start.
  auto slot = std::make_shared<ConnectionSlot>(std::move(taken.slot));
  spec.make = [make = make_, fd, slot] { return make(fd, std::move(*slot)); };
  if (!send<sched::StartChild>(supervisor_, sched::StartChild{std::move(spec), sched::Pid{}})) {
    ::close(fd);  // stopping: nobody to run the connection (its slot went with the message)
  }
}

void Listener::on_exit(const sched::ExitReason&) {
  if (socket_ != nullptr) {
    socket_->close();
    socket_ = nullptr;
  }
}

}  // namespace actormq::core
