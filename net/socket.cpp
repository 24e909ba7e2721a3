#include "net/socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sched/runtime.hpp"

namespace actormq::net {

Socket::Socket(int fd, sched::Pid owner, sched::Runtime& runtime)
    : fd_(fd), owner_(owner), runtime_(runtime) {}

Socket* Socket::adopt(uv_loop_t* loop, int fd, sched::Pid owner, sched::Runtime& runtime) {
  auto* s = new Socket(fd, owner, runtime);
  uv_poll_init_socket(loop, &s->poll_, fd);
  s->poll_.data = s;
  s->want_read(true);
  return s;
}

IoResult Socket::read(std::span<std::uint8_t> buffer) {
  for (;;) {
    ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n > 0) {
      return {IoResult::Status::ok, static_cast<std::size_t>(n), 0};
    }
    if (n == 0) {
      return {IoResult::Status::closed, 0, 0};
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return {IoResult::Status::would_block, 0, 0};
    }
    return {IoResult::Status::error, 0, errno};
  }
}

IoResult Socket::writev(const iovec* segments, int count) {
  for (;;) {
    ssize_t n = ::writev(fd_, segments, count);
    if (n >= 0) {
      return {IoResult::Status::ok, static_cast<std::size_t>(n), 0};
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return {IoResult::Status::would_block, 0, 0};
    }
    if (errno == EPIPE || errno == ECONNRESET) {
      return {IoResult::Status::closed, 0, errno};
    }
    return {IoResult::Status::error, 0, errno};
  }
}

void Socket::want_read(bool on) {
  int wanted = on ? (wanted_ | UV_READABLE) : (wanted_ & ~UV_READABLE);
  if (wanted != wanted_) {
    wanted_ = wanted;
    rearm();
  }
}

void Socket::want_write(bool on) {
  int wanted = on ? (wanted_ | UV_WRITABLE) : (wanted_ & ~UV_WRITABLE);
  if (wanted != wanted_) {
    wanted_ = wanted;
    rearm();
  }
}

void Socket::rearm() {
  if (closing_) {
    return;
  }
  if (wanted_ == 0) {
    uv_poll_stop(&poll_);
  } else {
    uv_poll_start(&poll_, wanted_, &Socket::on_poll);
  }
}

void Socket::on_poll(uv_poll_t* handle, int status, int events) {
  auto* s = static_cast<Socket*>(handle->data);
  // An error (e.g. a reset) is reported as readable: the owner's read() sees it.
  bool readable = status < 0 || (events & UV_READABLE) != 0;
  bool writable = status >= 0 && (events & UV_WRITABLE) != 0;
  // One notification per arming: the owner re-arms after it has done the I/O.
  int fired = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  s->wanted_ &= ~fired;
  s->rearm();
  s->runtime_.send<SocketReady>(s->owner_, SocketReady{readable, writable});
}

void Socket::close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), &Socket::on_close);
}

void Socket::on_close(uv_handle_t* handle) {
  auto* s = static_cast<Socket*>(handle->data);
  ::close(s->fd_);
  delete s;
}

std::string Socket::peer() const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return "?";
  }
  char host[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace actormq::net
