#include "net/tcp_listener.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>

namespace actormq::net {

namespace {
// Accepts per readiness event: bounded so one busy listener cannot hold the loop.
constexpr int accepts_per_wake = 64;

std::string describe(const std::string& bind, std::uint16_t port, const char* what, int err) {
  return bind + ":" + std::to_string(port) + ": " + what + ": " + std::strerror(err);
}
}  // namespace

TcpListener::TcpListener(int fd, std::uint16_t port, OnAccept on_accept)
    : fd_(fd), port_(port), on_accept_(std::move(on_accept)) {}

namespace {
struct Address {
  sockaddr_storage addr{};
  socklen_t length = 0;
};

std::optional<Address> parse_address(const std::string& bind, std::uint16_t port) {
  Address a;
  auto* in4 = reinterpret_cast<sockaddr_in*>(&a.addr);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.addr);
  if (inet_pton(AF_INET, bind.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    a.length = sizeof *in4;
  } else if (inet_pton(AF_INET6, bind.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    a.length = sizeof *in6;
  } else {
    return std::nullopt;
  }
  return a;
}
}  // namespace

std::optional<std::string> TcpListener::check_free(const std::string& bind, std::uint16_t port) {
  std::optional<Address> a = parse_address(bind, port);
  if (!a || port == 0) {
    return std::nullopt;  // open() reports a bad address; port 0 is always a fresh one
  }
  int fd = ::socket(a->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return describe(bind, port, "socket", errno);
  }
  // SO_REUSEADDR, as the listeners have: a connection in TIME_WAIT is no owner.
  // No SO_REUSEPORT: the bind then fails while any socket listens on the port.
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a->addr), a->length);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    return describe(bind, port, "bind", err);
  }
  return std::nullopt;
}

TcpListener::Opened TcpListener::open(uv_loop_t* loop, const std::string& bind, std::uint16_t port,
                                      OnAccept on_accept) {
  std::optional<Address> a = parse_address(bind, port);
  if (!a) {
    return {nullptr, bind + ": not an IPv4 or IPv6 address"};
  }
  sockaddr_storage& addr = a->addr;
  socklen_t addr_len = a->length;
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return {nullptr, describe(bind, port, "socket", errno)};
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    int err = errno;
    ::close(fd);
    return {nullptr, describe(bind, port, "bind", err)};
  }
  if (::listen(fd, 4096) != 0) {
    int err = errno;
    ::close(fd);
    return {nullptr, describe(bind, port, "listen", err)};
  }
  return adopt(loop, fd, std::move(on_accept));
}

TcpListener::Opened TcpListener::adopt(uv_loop_t* loop, int fd, OnAccept on_accept) {
  // An inherited descriptor carries the flags of the process that made it.
  if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    int err = errno;
    ::close(fd);
    return {nullptr, std::string("inherited socket: fcntl: ") + std::strerror(err)};
  }
  int listening = 0;
  socklen_t listening_len = sizeof listening;
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_len) != 0 || listening == 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0 ||
      (bound.ss_family != AF_INET && bound.ss_family != AF_INET6)) {
    ::close(fd);
    return {nullptr, "inherited socket: not a listening IPv4 or IPv6 TCP socket"};
  }
  std::uint16_t bound_port = bound.ss_family == AF_INET
                                 ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                                 : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  auto* l = new TcpListener(fd, bound_port, std::move(on_accept));
  uv_poll_init_socket(loop, &l->poll_, fd);
  l->poll_.data = l;
  uv_timer_init(loop, &l->backoff_);
  l->backoff_.data = l;
  uv_poll_start(&l->poll_, UV_READABLE, &TcpListener::on_poll);
  return {l, {}};
}

void TcpListener::on_poll(uv_poll_t* handle, int status, int /*events*/) {
  auto* l = static_cast<TcpListener*>(handle->data);
  if (status < 0) {
    return;
  }
  for (int i = 0; i < accepts_per_wake && !l->closing_; ++i) {
    int fd = ::accept4(l->fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The pending connection stays readable: polling again at once would
        // spin. Back off; the kernel keeps the backlog meanwhile.
        uv_poll_stop(&l->poll_);
        uv_timer_start(&l->backoff_, &TcpListener::on_resume, 100, 0);
      }
      return;  // EAGAIN: drained
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    l->on_accept_(fd);
  }
}

void TcpListener::on_resume(uv_timer_t* handle) {
  auto* l = static_cast<TcpListener*>(handle->data);
  if (!l->closing_ && !l->paused_) {
    uv_poll_start(&l->poll_, UV_READABLE, &TcpListener::on_poll);
  }
}

void TcpListener::pause(bool paused) {
  if (closing_) {
    return;
  }
  paused_ = paused;
  if (paused) {
    uv_poll_stop(&poll_);
  } else {
    uv_poll_start(&poll_, UV_READABLE, &TcpListener::on_poll);
  }
}

void TcpListener::close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), &TcpListener::on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&backoff_), &TcpListener::on_close);
}

void TcpListener::on_close(uv_handle_t* handle) {
  auto* l = static_cast<TcpListener*>(handle->data);
  // Freed once libuv has let go of both handles.
  if (--l->open_handles_ == 0) {
    ::close(l->fd_);
    delete l;
  }
}

}  // namespace actormq::net
