// The actormq binary: configuration from file and command line, the broker
// (the library's actormq::Broker, include/actormq/broker.hpp), and its
// signals: SIGINT/SIGTERM stop it (v5 clients get DISCONNECT 0x8B); SIGHUP
// reads the --config file again (listeners, limits, log level, the
// authentication keys and files, bridges: core::Broker::reconfigure) and
// the TLS listeners' files; SIGUSR2 upgrades
// it without downtime (core/upgrade/upgrade.hpp): the binary now at its path
// takes over. `actormq ctl ...` is the operator's command instead
// (core/ctl/ctl.hpp).
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <pthread.h>
#include <string_view>

#include "actormq/broker.hpp"
#include "core/config/cli.hpp"
#include "core/ctl/ctl.hpp"
#include "core/logger.hpp"
#include "core/upgrade/pid_file.hpp"
#include "core/upgrade/systemd_notify.hpp"
#include "core/upgrade/upgrade.hpp"
#include "embed/access.hpp"

namespace {

using namespace actormq::core;

// The library's broker as an upgrade drives it.
class BinaryBroker : public upgrade::UpgradeBroker {
 public:
  explicit BinaryBroker(actormq::Broker& broker) : broker_(broker) {}
  std::vector<ListenerSocket> listening_sockets() override {
    return actormq::BrokerAccess::listening_sockets(broker_);
  }
  DrainReport drain(std::uint32_t per_second) override { return actormq::BrokerAccess::drain(broker_, per_second); }
  void stop() override { broker_.stop(); }
  Status restart(std::vector<ListenerSocket> sockets) override {
    actormq::BrokerAccess::inherit(broker_, std::move(sockets));
    if (actormq::Status started = broker_.start(); !started) {
      return Failure{started.messages()};
    }
    return actormq::mqtt::Ok{};
  }

 private:
  actormq::Broker& broker_;
};

// The path this binary was started from: an upgrade runs what is there then.
std::string own_executable() {
  char path[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "ctl") {
    return ctl::run_ctl(argc - 1, argv + 1, std::cout, std::cerr);
  }
  CliOutcome cli = parse_command_line(argc, argv, std::cout, std::cerr);
  if (!cli.config) {
    return cli.exit_code;
  }
  // Block the signals in every thread (schedulers inherit the mask); the
  // main thread reads them from a signalfd.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR2}) {
    sigaddset(&signals, sig);
  }
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::perror("actormq: signalfd");
    return 1;
  }

  upgrade::UpgradeOptions upgrade_options;
  upgrade_options.executable = own_executable();
  upgrade_options.argv.assign(argv, argv + argc);
  upgrade_options.drain_rate = static_cast<std::uint32_t>(cli.config->upgrade_drain_rate);
  upgrade_options.signal_fd = signal_fd;
  const std::string pid_file = cli.config->pid_file;

  actormq::Broker broker = actormq::BrokerAccess::from_config(std::move(*cli.config), cli.config_file, cli.overrides);
  // Started by an upgrade: the old process's sockets, then its store.
  std::optional<upgrade::UpgradeJoin> join = upgrade::UpgradeJoin::from_environment();
  if (join) {
    auto sockets = join->take_over(signal_fd);
    if (!sockets) {
      std::fprintf(stderr, "actormq: %s\n", sockets.error().text().c_str());
      return 1;
    }
    actormq::BrokerAccess::inherit(broker, std::move(sockets).value());
  }
  // A failure after the start (a store that turns out unreadable while its
  // retained messages load) stops the broker as SIGTERM would, exit code 1.
  std::atomic<bool> failed{false};
  broker.on_failure([&failed](const std::string&) {
    failed.store(true);
    ::kill(::getpid(), SIGTERM);
  });
  if (actormq::Status started = broker.start(); !started) {
    std::fprintf(stderr, "actormq: %s\n", started.text().c_str());
    if (join) {
      join->failed(started.text());
    }
    return 1;
  }
  if (!pid_file.empty()) {
    if (auto written = upgrade::write_pid_file(pid_file, ::getpid()); !written) {
      ACTORMQ_LOG_ERROR(written.error().text());
    }
  }
  // Before the old process of an upgrade hears that we serve (and exits):
  // systemd then follows the service here.
  const upgrade::SystemdNotifier systemd = upgrade::SystemdNotifier::from_environment();
  systemd.ready(::getpid());
  if (join) {
    join->serving();
    join.reset();
    ACTORMQ_LOG_NOTICE("upgrade: serving as process " << ::getpid());
  }
  int sig = 0;
  for (;;) {
    signalfd_siginfo info{};
    if (::read(signal_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) {
      continue;  // EINTR
    }
    sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGHUP) {
      ACTORMQ_LOG_NOTICE("received SIGHUP; reloading");
      systemd.reloading();
      (void)broker.reload();  // what failed is logged, and keeps its previous settings
      systemd.reloaded();
      continue;
    }
    if (sig == SIGUSR2 && !failed.load()) {
      ACTORMQ_LOG_NOTICE("received SIGUSR2; upgrading");
      BinaryBroker upgradable(broker);
      upgrade::UpgradeOutcome outcome = upgrade::run_upgrade(upgradable, upgrade_options);
      if (outcome == upgrade::UpgradeOutcome::upgraded) {
        return 0;  // the pid_file names the new process
      }
      if (outcome == upgrade::UpgradeOutcome::failed) {
        upgrade::remove_pid_file(pid_file, ::getpid());
        return 1;
      }
      if (outcome == upgrade::UpgradeOutcome::rolled_back) {
        // A new file naming this process again: how `actormq ctl upgrade`
        // tells a roll back from an upgrade still under way.
        if (!pid_file.empty()) {
          if (auto written = upgrade::write_pid_file(pid_file, ::getpid()); !written) {
            ACTORMQ_LOG_ERROR(written.error().text());
          }
        }
        continue;
      }
      sig = SIGTERM;  // a stop signal came during the upgrade
    }
    if (sig == SIGINT || sig == SIGTERM) {
      break;
    }
  }
  systemd.stopping();
  if (!pid_file.empty()) {
    upgrade::remove_pid_file(pid_file, ::getpid());
  }
  if (failed.load()) {
    broker.stop();
    std::fprintf(stderr, "actormq: stopped: the store could not be read (see the error above)\n");
    return 1;
  }
  ACTORMQ_LOG_NOTICE("received " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << "; stopping");
  broker.stop();
  return 0;
}
