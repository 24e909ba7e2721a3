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
  s->wanted_ = read_bit;
  s->watch(read_bit);
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
  notified_ &= ~read_bit;
  wanted_ = on ? (wanted_ | read_bit) : (wanted_ & ~read_bit);
  rearm();
}

void Socket::want_write(bool on) {
  notified_ &= ~write_bit;
  wanted_ = on ? (wanted_ | write_bit) : (wanted_ & ~write_bit);
  rearm();
}

// Interest is added at once and dropped lazily: asking again for what is
// still watched (the common case: read, then want_read) costs no syscall.
void Socket::rearm() {
  if ((wanted_ & ~armed_) != 0) {
    watch(armed_ | wanted_);
  }
}

void Socket::watch(std::uint8_t bits) {
  if (bits == armed_) {
    return;
  }
  int rc = 0;
  if (bits == 0) {
    poller_.remove(fd_);  // level-triggered: a hang-up would fire even with no events
  } else if (armed_ == 0) {
    rc = poller_.add(fd_, epoll_events(bits), this);
  } else {
    rc = poller_.modify(fd_, epoll_events(bits), this);
  }
  armed_ = rc == 0 ? bits : 0;
  if (rc != 0) {
    // Not watchable (e.g. ENOMEM): report it as readable, so the owner's
    // read() finds the fault and closes the connection.
    wanted_ = 0;
    runtime_.send<SocketReady>(owner_, SocketReady{true, false});
  }
}

void Socket::on_events(std::uint32_t events) {
  // An error or hang-up is reported as what is watched: the owner's read()
  // or writev() then sees it.
  bool fault = (events & (EPOLLERR | EPOLLHUP)) != 0;
  std::uint8_t fired = static_cast<std::uint8_t>(
      ((fault || (events & (EPOLLIN | EPOLLRDHUP)) != 0) ? read_bit : 0) |
      ((fault || (events & EPOLLOUT) != 0) ? write_bit : 0));
  fired &= armed_;
  // One notification per want_*: the owner asks again after it has done the I/O.
  std::uint8_t notify = fired & wanted_;
  wanted_ &= ~notify;
  // What fires with nobody waiting would fire at every poll: stop watching it.
  // Except once for a notification the owner has not acted on yet: a poll
  // between two slices finds its bytes still there, and dropping the
  // interest only for the owner to add it back cost two epoll_ctl calls.
  std::uint8_t idle = fired & ~notify;
  std::uint8_t grace = idle & notified_;
  notified_ = static_cast<std::uint8_t>((notified_ & ~grace) | notify);
  if (idle &= ~grace; idle != 0) {
    watch(armed_ & ~idle);
  }
  if (notify != 0) {
    runtime_.send<SocketReady>(owner_, SocketReady{(notify & read_bit) != 0, (notify & write_bit) != 0});
  }
}

void Socket::close() {
  ::shutdown(fd_, SHUT_WR);  // what was written (e.g. a DISCONNECT) goes before the FIN
  if (armed_ != 0) {
    poller_.remove(fd_);
  }
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
