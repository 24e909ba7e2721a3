#include "net/socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/poller.hpp"
#include "sched/runtime.hpp"

namespace actormq::net {

namespace {
constexpr std::uint8_t read_bit = 1;
constexpr std::uint8_t write_bit = 2;

std::uint32_t epoll_events(std::uint8_t wanted) {
  return ((wanted & read_bit) != 0 ? EPOLLIN : 0u) | ((wanted & write_bit) != 0 ? EPOLLOUT : 0u);
}
}  // namespace

Socket::Socket(int fd, sched::Pid owner, sched::Runtime& runtime, Poller& poller)
    : poller_(poller), runtime_(runtime), owner_(owner), fd_(fd) {}

Socket* Socket::adopt(uv_loop_t* loop, int fd, sched::Pid owner, sched::Runtime& runtime) {
  Poller& poller = Poller::of(loop);
  auto* s = new Socket(fd, owner, runtime, poller);
  s->wanted_ = s->armed_ = read_bit;
  if (int rc = poller.add(fd, epoll_events(read_bit), s); rc != 0) {
    // Not watchable (e.g. ENOMEM): report it as readable, so the owner's
    // read() finds the fault and closes the connection.
    s->wanted_ = s->armed_ = 0;
    runtime.send<SocketReady>(owner, SocketReady{true, false});
  }
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
    if (errno == ECONNRESET) {
      return {IoResult::Status::closed, 0, errno};
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
  wanted_ = on ? (wanted_ | read_bit) : (wanted_ & ~read_bit);
  rearm();
}

void Socket::want_write(bool on) {
  wanted_ = on ? (wanted_ | write_bit) : (wanted_ & ~write_bit);
  rearm();
}

void Socket::rearm() {
  if (wanted_ == armed_) {
    return;
  }
  armed_ = wanted_;
  if (poller_.modify(fd_, epoll_events(wanted_), this) != 0) {
    armed_ = 0;
    runtime_.send<SocketReady>(owner_, SocketReady{true, false});  // read() will see why
  }
}

void Socket::on_events(std::uint32_t events) {
  // An error or hang-up is reported as what the owner waits for: its read()
  // or writev() then sees it.
  bool fault = (events & (EPOLLERR | EPOLLHUP)) != 0;
  bool readable = (wanted_ & read_bit) != 0 && (fault || (events & (EPOLLIN | EPOLLRDHUP)) != 0);
  bool writable = (wanted_ & write_bit) != 0 && (fault || (events & EPOLLOUT) != 0);
  // One notification per arming: the owner re-arms after it has done the I/O.
  armed_ = 0;  // EPOLLONESHOT disarmed the whole registration
  wanted_ &= ~((readable ? read_bit : 0) | (writable ? write_bit : 0));
  rearm();
  if (readable || writable) {
    runtime_.send<SocketReady>(owner_, SocketReady{readable, writable});
  }
}

void Socket::close() {
  ::shutdown(fd_, SHUT_WR);  // what was written (e.g. a DISCONNECT) goes before the FIN
  poller_.remove(fd_);
  ::close(fd_);
  delete this;
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
