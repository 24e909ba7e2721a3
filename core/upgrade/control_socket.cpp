#include "core/upgrade/control_socket.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace actormq::core::upgrade {

Result<std::pair<ControlSocket, ControlSocket>> ControlSocket::pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return Failure{std::string("upgrade: socketpair: ") + std::strerror(errno)};
  }
  return std::pair<ControlSocket, ControlSocket>{ControlSocket(fds[0]), ControlSocket(fds[1])};
}

ControlSocket::~ControlSocket() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

ControlSocket& ControlSocket::operator=(ControlSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Status ControlSocket::send(const HandoverMessage& message, int attached) {
  std::string line = format_handover(message);
  iovec iov{line.data(), line.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (attached >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &attached, sizeof(int));
  }
  ssize_t n = 0;
  do {
    n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return Failure{std::string("upgrade: sending \"") + line.substr(0, 40) + "\": " + std::strerror(errno)};
  }
  return mqtt::Ok{};
}

Result<ControlSocket::Incoming> ControlSocket::receive(std::chrono::steady_clock::time_point deadline,
                                                       int signal_fd) {
  Incoming in;
  pollfd fds[2] = {{fd_, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) {
      return in;  // timeout
    }
    int ready = ::poll(fds, signal_fd >= 0 ? 2 : 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) {
      return Failure{std::string("upgrade: poll: ") + std::strerror(errno)};
    }
    if (ready <= 0) {
      continue;
    }
    if (signal_fd >= 0 && (fds[1].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      if (::read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        in.kind = Incoming::Kind::signal;
        in.signal = static_cast<int>(info.ssi_signo);
        return in;
      }
    }
    if (fds[0].revents != 0) {
      break;
    }
  }
  char buffer[max_handover_message + 1];
  iovec iov{buffer, sizeof buffer};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = 0;
  do {
    n = ::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno != ECONNRESET) {
    return Failure{std::string("upgrade: receiving: ") + std::strerror(errno)};
  }
  // Every descriptor that came is ours to close, whatever the message.
  std::vector<int> received;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        received.push_back(fd);
      }
    }
  }
  auto close_all = [&received] {
    for (int fd : received) {
      ::close(fd);
    }
  };
  if (n <= 0) {
    close_all();
    in.kind = Incoming::Kind::closed;
    return in;
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || received.size() > 1) {
    close_all();
    return Failure{"upgrade: a hand-over message too long, or with more than one descriptor"};
  }
  auto parsed = parse_handover(std::string_view(buffer, static_cast<std::size_t>(n)));
  if (!parsed) {
    close_all();
    return std::move(parsed).error();
  }
  in.kind = Incoming::Kind::message;
  in.message = std::move(parsed).value();
  in.fd = received.empty() ? -1 : received[0];
  return in;
}

}  // namespace actormq::core::upgrade
