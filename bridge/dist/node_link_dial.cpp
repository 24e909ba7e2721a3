// NodeLink's outward side: resolve and connect without blocking (net/dial.hpp), and
// start the handshake (over TLS when the node has a client context).
#include <cstring>

#include "bridge/dist/node_link.hpp"
#include "core/logger.hpp"
#include "net/dial.hpp"
#include "sched/runtime.hpp"
#include "sched/scheduler.hpp"

namespace actormq::dist {

void NodeLink::dial() {
  ++generation_;
  superseded_ = false;
  state_ = State::connecting;
  // The deadline covers resolving and connecting too.
  send_after(self(), sched::make_message<HandshakeDeadline>(generation_), node_.config().handshake_timeout_ms);
  if (auto literal = net::numeric_address(endpoint_.host, endpoint_.port)) {
    connect_to(*literal);
    return;
  }
  // A name: resolved off the scheduler (a slow DNS server must not stall
  // the sessions that share it); the answer comes back as a message.
  net::resolve_async(scheduler().loop(), endpoint_.host, endpoint_.port,
                     [&rt = runtime(), pid = self(), generation = generation_](
                         std::optional<net::DialAddress> address, const std::string& error) {
                       (void)rt.send<AddressResolved>(pid, AddressResolved{generation, address, error});
                     });
}

void NodeLink::on_resolved(const AddressResolved& r) {
  if (r.generation != generation_ || state_ != State::connecting || socket_ != nullptr) {
    return;  // an answer for an attempt given up already
  }
  if (!r.address) {
    lost(r.error);
    return;
  }
  connect_to(*r.address);
}

void NodeLink::connect_to(const net::DialAddress& address) {
  net::DialStarted started = net::start_dial(address);
  if (started.fd < 0) {
    lost(started.error);
    return;
  }
  socket_ = net::Socket::adopt(scheduler().loop(), started.fd, self(), runtime());
  stream_ = socket_;
  socket_->want_write(true);  // writable: the connect is over, one way or the other
}

void NodeLink::on_connected() {
  if (int err = net::dial_outcome(socket_->fd()); err != 0) {
    lost(std::string("connect: ") + std::strerror(err));
    return;
  }
  state_ = State::handshaking;
  last_read_ms_ = now_ms();
  if (const auto& tls = node_.config().tls_client) {
    // The certificate must name the address or host dialled (an IP address
    // against its IP entries: net/tls_names).
    stream_ = tls->connect(socket_, endpoint_.host);
  }
  initiator_.emplace(handshake_config());
  on_handshake_step(initiator_->start());  // written once TLS is up
  if (stream_ != nullptr) {
    read();  // a TLS handshake starts with the first read
  }
}

}  // namespace actormq::dist
