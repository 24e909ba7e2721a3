// NodeLink's outward side: resolve the endpoint, connect without blocking,
// and start the handshake (over TLS when the node has a client context).
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bridge/dist/node_link.hpp"
#include "core/logger.hpp"
#include "sched/runtime.hpp"
#include "sched/scheduler.hpp"

namespace actormq::dist {

namespace {

/// An address of `host` (numeric IPv4 or IPv6, or a name). Names resolve
/// blocking: seeds are few and dialled rarely.
struct Address {
  sockaddr_storage addr{};
  socklen_t len = 0;
};
std::optional<Address> resolve(const Endpoint& to) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(to.port);
  if (getaddrinfo(to.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  Address a;
  std::memcpy(&a.addr, found->ai_addr, found->ai_addrlen);
  a.len = found->ai_addrlen;
  freeaddrinfo(found);
  return a;
}

}  // namespace

void NodeLink::dial() {
  ++generation_;
  superseded_ = false;
  state_ = State::connecting;
  auto addr = resolve(endpoint_);
  int fd = addr ? ::socket(addr->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
  if (fd < 0) {
    lost(addr ? std::string("socket: ") + std::strerror(errno) : "cannot resolve " + endpoint_.host);
    return;
  }
  int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr->addr), addr->len) != 0 && errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    lost(std::string("connect: ") + std::strerror(err));
    return;
  }
  socket_ = net::Socket::adopt(scheduler().loop(), fd, self(), runtime());
  stream_ = socket_;
  socket_->want_write(true);  // writable: the connect is over, one way or the other
  send_after(self(), sched::make_message<HandshakeDeadline>(generation_), node_.config().handshake_timeout_ms);
}

void NodeLink::on_connected() {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(socket_->fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    err = errno;
  }
  if (err != 0) {
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
