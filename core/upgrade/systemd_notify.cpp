#include "core/upgrade/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/logger.hpp"

namespace actormq::core::upgrade {

SystemdNotifier SystemdNotifier::from_environment() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  return SystemdNotifier(path != nullptr ? path : "");
}

void SystemdNotifier::ready(pid_t main_pid) const {
  (void)send("MAINPID=" + std::to_string(main_pid) + "\nREADY=1");
}

bool SystemdNotifier::send(std::string_view state) const {
  if (path_.empty()) {
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path || (path_[0] != '/' && path_[0] != '@')) {
    ACTORMQ_LOG_WARNING("NOTIFY_SOCKET " << path_ << " is neither a path nor an abstract name; systemd is not told");
    return false;
  }
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  if (path_[0] == '@') {
    addr.sun_path[0] = '\0';  // an abstract socket
  }
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), len);
  int err = errno;
  ::close(fd);
  if (sent < 0) {
    ACTORMQ_LOG_WARNING("cannot tell systemd (NOTIFY_SOCKET " << path_ << "): " << std::strerror(err));
    return false;
  }
  return true;
}

}  // namespace actormq::core::upgrade
