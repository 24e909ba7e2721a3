// The old process's side of an upgrade (upgrade.hpp): start the new binary,
// hand it the sockets, drain, release the store, wait until it serves.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "core/logger.hpp"
#include "core/upgrade/upgrade.hpp"

extern char** environ;

namespace actormq::core::upgrade {

namespace {

using Clock = std::chrono::steady_clock;
using Kind = ControlSocket::Incoming::Kind;

// Forks and executes the binary with `child_end` kept open (its number in
// the environment). Between fork and exec only async-signal-safe calls:
// the process has other threads, whose locks the child does not inherit.
Result<pid_t> start_binary(const UpgradeOptions& o, int child_end) {
  std::vector<std::string> env;
  const std::string prefix = std::string(upgrade_fd_variable) + "=";
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with(prefix)) {
      env.emplace_back(*e);
    }
  }
  env.push_back(prefix + std::to_string(child_end));
  std::vector<char*> envp;
  for (std::string& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> args = o.argv;
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    return Failure{std::string("upgrade: fork: ") + std::strerror(errno)};
  }
  if (pid == 0) {
    // The binary starts as from a shell: no blocked signals, SIGPIPE default.
    struct sigaction dfl{};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::fcntl(child_end, F_SETFD, 0);  // the one descriptor it inherits
    ::execve(o.executable.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) {
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  }
  return "ended";
}

class OldSide {
 public:
  OldSide(UpgradeBroker& broker, const UpgradeOptions& o) : broker_(broker), o_(o) {}
  ~OldSide() { close_held(); }

  UpgradeOutcome run();

 private:
  enum class Wait : std::uint8_t { got, failed, stop };
  /// The next message, past ignored signals; `why_` says what went wrong.
  Wait await(Clock::duration limit, bool store_released);
  Wait expect_hello();
  Wait offer_sockets();
  /// Ends the new process and reaps it; what became of it, for the log.
  std::string end_child(bool gone);
  UpgradeOutcome roll_back(bool store_released);
  void close_held();

  UpgradeBroker& broker_;
  const UpgradeOptions& o_;
  std::optional<ControlSocket> control_;
  pid_t child_ = -1;
  std::vector<ListenerSocket> held_;  // our dups of the sockets, for a roll back
  HandoverMessage got_;
  std::string why_;
  bool child_gone_ = false;
};

OldSide::Wait OldSide::await(Clock::duration limit, bool store_released) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    auto in = control_->receive(deadline, o_.signal_fd);
    if (!in) {
      why_ = in.error().text();
      return Wait::failed;
    }
    switch (in->kind) {
      case Kind::message:
        if (in->fd >= 0) {
          ::close(in->fd);  // the new process sends none
        }
        got_ = std::move(in->message);
        if (auto* e = std::get_if<HandoverError>(&got_)) {
          why_ = "the new process failed: " + e->text;
          return Wait::failed;
        }
        return Wait::got;
      case Kind::closed:
        child_gone_ = true;
        why_ = "the new process closed the hand-over socket";
        return Wait::failed;
      case Kind::timeout:
        why_ = "the new process did not answer in time";
        return Wait::failed;
      case Kind::signal:
        if ((in->signal == SIGTERM || in->signal == SIGINT) && !store_released) {
          why_ = std::string("stopped by ") + strsignal(in->signal);
          return Wait::stop;
        }
        ACTORMQ_LOG_NOTICE("upgrade in progress: " << strsignal(in->signal) << " ignored");
        break;
    }
  }
}

OldSide::Wait OldSide::expect_hello() {
  if (Wait w = await(o_.start_timeout, false); w != Wait::got) {
    return w;
  }
  const auto* hello = std::get_if<Hello>(&got_);
  if (hello == nullptr) {
    why_ = "the new process did not begin with hello";
    return Wait::failed;
  }
  if (hello->version != handover_version) {
    why_ = "the new process speaks hand-over version " + std::to_string(hello->version) + ", this one " +
           std::to_string(handover_version);
    (void)control_->send(HandoverError{why_});
    return Wait::failed;
  }
  return Wait::got;
}

OldSide::Wait OldSide::offer_sockets() {
  for (const ListenerSocket& s : broker_.listening_sockets()) {
    int fd = ::fcntl(s.fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      why_ = std::string("upgrade: dup of a listening socket: ") + std::strerror(errno);
      return Wait::failed;
    }
    held_.push_back(ListenerSocket{s.type, s.bind, s.configured_port, fd});
    if (auto sent = control_->send(SocketOffer{s.type, s.bind, s.configured_port}, fd); !sent) {
      why_ = sent.error().text();
      return Wait::failed;
    }
  }
  if (auto sent = control_->send(SocketsEnd{static_cast<std::uint32_t>(held_.size())}); !sent) {
    why_ = sent.error().text();
    return Wait::failed;
  }
  if (Wait w = await(o_.start_timeout, false); w != Wait::got) {
    return w;
  }
  if (!std::holds_alternative<Ready>(got_)) {
    why_ = "the new process did not answer the sockets with ready";
    return Wait::failed;
  }
  return Wait::got;
}

std::string OldSide::end_child(bool gone) {
  if (child_ < 0) {
    return "";
  }
  int status = 0;
  if (gone) {
    // It closed the socket: it is exiting. A moment for its status.
    for (int i = 0; i < 100 && ::waitpid(child_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (::kill(child_, 0) != 0) {
      child_ = -1;
      return " (it " + describe_status(status) + ")";
    }
  }
  // Before the store is ours again: it must not open it behind us.
  ::kill(child_, SIGKILL);
  ::waitpid(child_, &status, 0);
  child_ = -1;
  return " (ended with SIGKILL)";
}

void OldSide::close_held() {
  for (const ListenerSocket& s : held_) {
    ::close(s.fd);
  }
  held_.clear();
}

UpgradeOutcome OldSide::roll_back(bool store_released) {
  std::string child = end_child(child_gone_);
  if (!store_released) {
    ACTORMQ_LOG_ERROR("upgrade failed: " << why_ << child << "; this process serves on");
    return UpgradeOutcome::rolled_back;
  }
  ACTORMQ_LOG_ERROR("upgrade failed after the hand-over: " << why_ << child << "; starting again");
  std::vector<ListenerSocket> sockets = std::move(held_);
  held_.clear();
  if (auto restarted = broker_.restart(std::move(sockets)); !restarted) {
    ACTORMQ_LOG_ERROR("upgrade: cannot start again: " << restarted.error().text());
    return UpgradeOutcome::failed;
  }
  ACTORMQ_LOG_NOTICE("upgrade rolled back: this process serves again");
  return UpgradeOutcome::rolled_back;
}

UpgradeOutcome OldSide::run() {
  auto made = ControlSocket::pair();
  if (!made) {
    ACTORMQ_LOG_ERROR("upgrade failed: " << made.error().text());
    return UpgradeOutcome::rolled_back;
  }
  control_.emplace(std::move(made->first));
  ControlSocket child_end = std::move(made->second);
  auto started = start_binary(o_, child_end.fd());
  if (!started) {
    ACTORMQ_LOG_ERROR("upgrade failed: " << started.error().text());
    return UpgradeOutcome::rolled_back;
  }
  child_ = *started;
  child_end = ControlSocket(-1);  // the child's now: its exit closes the socket for us
  ACTORMQ_LOG_NOTICE("upgrade: started " << o_.executable << " as process " << child_);
  Wait w = expect_hello();
  if (w == Wait::got) {
    w = offer_sockets();
  }
  if (w != Wait::got) {
    if (w == Wait::stop) {
      end_child(false);
      return UpgradeOutcome::stop;
    }
    return roll_back(false);
  }
  ACTORMQ_LOG_NOTICE("upgrade: process " << child_ << " holds the " << held_.size()
                                         << " listening sockets; draining the clients (upgrade_drain_rate "
                                         << o_.drain_rate << "/s)");
  DrainReport drained = broker_.drain(o_.drain_rate);
  ACTORMQ_LOG_NOTICE("upgrade: drained " << drained.clients << " clients in " << drained.ms << " ms");
  broker_.stop();
  if (auto sent = control_->send(Released{}); !sent) {
    why_ = sent.error().text();
    return roll_back(true);
  }
  if (await(o_.serve_timeout, true) != Wait::got || !std::holds_alternative<Serving>(got_)) {
    if (why_.empty()) {
      why_ = "the new process did not answer released with serving";
    }
    return roll_back(true);
  }
  ACTORMQ_LOG_NOTICE("upgrade: process " << child_ << " serves; exiting");
  return UpgradeOutcome::upgraded;
}

}  // namespace

UpgradeOutcome run_upgrade(UpgradeBroker& broker, const UpgradeOptions& options) {
  OldSide side(broker, options);
  return side.run();
}

}  // namespace actormq::core::upgrade
