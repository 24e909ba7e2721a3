// The new process's side of an upgrade (upgrade.hpp): hello, take the
// sockets, wait for the store, report serving.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "core/logger.hpp"
#include "core/upgrade/upgrade.hpp"

namespace actormq::core::upgrade {

namespace {

using Clock = std::chrono::steady_clock;
using Kind = ControlSocket::Incoming::Kind;

// The sockets received so far; closed unless handed to the broker.
struct Received {
  std::vector<ListenerSocket> sockets;
  ~Received() {
    for (const ListenerSocket& s : sockets) {
      ::close(s.fd);
    }
  }
  std::vector<ListenerSocket> take() { return std::exchange(sockets, {}); }
};

}  // namespace

std::optional<UpgradeJoin> UpgradeJoin::from_environment() {
  const char* value = std::getenv(upgrade_fd_variable);
  if (value == nullptr) {
    return std::nullopt;
  }
  std::string_view text(value);
  int fd = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
  ::unsetenv(upgrade_fd_variable);
  if (ec != std::errc{} || end != text.data() + text.size() || fd < 3 || ::fcntl(fd, F_GETFD) < 0) {
    ACTORMQ_LOG_WARNING(upgrade_fd_variable << " does not name an open descriptor; starting as a fresh broker");
    return std::nullopt;
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return UpgradeJoin(ControlSocket(fd));
}

Result<std::vector<ListenerSocket>> UpgradeJoin::take_over(int signal_fd) {
  ACTORMQ_CHECK(control_.send(Hello{handover_version, ::getpid()}));
  Received received;
  bool released = false;
  bool ready_sent = false;
  // The sockets come at once; the store comes once the clients are
  // drained, which upgrade_drain_rate may make long.
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!released) {
    auto in = control_.receive(deadline, signal_fd);
    if (!in) {
      return std::move(in).error();
    }
    switch (in->kind) {
      case Kind::closed:
        return Failure{"upgrade: the old process went away before it released the store"};
      case Kind::timeout:
        return Failure{"upgrade: the old process did not answer in time"};
      case Kind::signal:
        if (in->signal == SIGTERM || in->signal == SIGINT) {
          return Failure{std::string("upgrade: stopped by ") + strsignal(in->signal)};
        }
        continue;
      case Kind::message:
        break;
    }
    const HandoverMessage& m = in->message;
    if (const auto* offer = std::get_if<SocketOffer>(&m); offer != nullptr && !ready_sent && in->fd >= 0) {
      received.sockets.push_back(ListenerSocket{offer->type, offer->bind, offer->port, in->fd});
      continue;
    }
    if (in->fd >= 0) {
      ::close(in->fd);
    }
    if (const auto* end = std::get_if<SocketsEnd>(&m); end != nullptr && !ready_sent) {
      if (end->count != received.sockets.size()) {
        return Failure{"upgrade: " + std::to_string(received.sockets.size()) + " sockets came, " +
                       std::to_string(end->count) + " were announced"};
      }
      ACTORMQ_CHECK(control_.send(Ready{}));
      ready_sent = true;
      deadline = Clock::time_point::max();
    } else if (std::holds_alternative<Released>(m) && ready_sent) {
      released = true;
    } else if (const auto* e = std::get_if<HandoverError>(&m)) {
      return Failure{"upgrade: the old process refused: " + e->text};
    } else {
      return Failure{"upgrade: \"" + format_handover(m) + "\" out of order"};
    }
  }
  return received.take();
}

void UpgradeJoin::serving() { (void)control_.send(Serving{::getpid()}); }

void UpgradeJoin::failed(const std::string& why) { (void)control_.send(HandoverError{why}); }

}  // namespace actormq::core::upgrade
