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
// Edge-triggered, registered once for both directions: readiness is tracked
// here, so a socket costs no epoll_ctl after its first, however often its
// owner stops and starts reading, and a socket whose owner has not run yet
// is not reported again by every poll in between.
constexpr std::uint32_t watched_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
}  // namespace

Socket::Socket(int fd, sched::Pid owner, sched::Runtime& runtime, Poller& poller)
    : poller_(poller), runtime_(runtime), owner_(owner), fd_(fd) {}

Socket* Socket::adopt(uv_loop_t* loop, int fd, sched::Pid owner, sched::Runtime& runtime) {
  Poller& poller = Poller::of(loop);
  auto* s = new Socket(fd, owner, runtime, poller);
  s->wanted_ = read_bit;
  if (poller.add(fd, watched_events, s) == 0) {
    s->registered_ = true;
  } else {
    // Not watchable (e.g. ENOMEM): report it as readable and broken, so the
    // owner's read() finds the fault and closes the connection.
    s->ready_ = read_bit | write_bit;
    s->eof_ = true;
    s->notify();
  }
  return s;
}

IoResult Socket::read(std::span<std::uint8_t> buffer) {
  for (;;) {
    ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n > 0) {
      // A short read took all the kernel had; what arrives later is a new
      // edge. Not after a FIN was seen: its edge has fired, the 0 is still owed.
      if (static_cast<std::size_t>(n) < buffer.size() && !eof_) {
        ready_ &= ~read_bit;
      }
      return {IoResult::Status::ok, static_cast<std::size_t>(n), 0};
    }
    if (n == 0) {
      return {IoResult::Status::closed, 0, 0};
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ready_ &= ~read_bit;
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
    // sendmsg with MSG_NOSIGNAL: a peer that is gone is EPIPE here, never a
    // SIGPIPE for the whole process (which an embedding program may not ignore).
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(segments);
    msg.msg_iovlen = static_cast<std::size_t>(count);
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n >= 0) {
      // A partial write is left to the caller's next writev, which finds the
      // buffer full: no summing of segments on every write.
      return {IoResult::Status::ok, static_cast<std::size_t>(n), 0};
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ready_ &= ~write_bit;  // the send buffer is full: EPOLLOUT fires when it drains
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
  notify();  // readiness seen while nobody waited is reported now: no edge will repeat it
}

void Socket::want_write(bool on) {
  wanted_ = on ? (wanted_ | write_bit) : (wanted_ & ~write_bit);
  notify();
}

void Socket::notify() {
  // One notification per want_*: the owner asks again after it has done the I/O.
  std::uint8_t bits = ready_ & wanted_;
  if (bits == 0) {
    return;
  }
  wanted_ &= ~bits;
  runtime_.send<SocketReady>(owner_, SocketReady{(bits & read_bit) != 0, (bits & write_bit) != 0});
}

void Socket::on_events(std::uint32_t events) {
  // An error or hang-up is reported as both directions: the owner's read()
  // or writev() then sees it.
  bool fault = (events & (EPOLLERR | EPOLLHUP)) != 0;
  if (fault || (events & EPOLLRDHUP) != 0) {
    eof_ = true;
  }
  ready_ |= static_cast<std::uint8_t>(
      ((fault || (events & (EPOLLIN | EPOLLRDHUP)) != 0) ? read_bit : 0) |
      ((fault || (events & EPOLLOUT) != 0) ? write_bit : 0));
  notify();
}

void Socket::close() {
  ::shutdown(fd_, SHUT_WR);  // what was written (e.g. a DISCONNECT) goes before the FIN
  if (registered_) {
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
