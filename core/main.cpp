// The actormq binary: configuration from file and command line, the broker
// (the library's actormq::Broker, include/actormq/broker.hpp), and its
// signals: SIGINT/SIGTERM stop it (v5 clients get DISCONNECT 0x8B); SIGHUP
// reloads the password, ACL and SCRAM files, the TLS listeners' files (and
// what services read: the bridges of the --config file).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <pthread.h>

#include "actormq/broker.hpp"
#include "core/config/cli.hpp"
#include "core/logger.hpp"
#include "embed/access.hpp"

int main(int argc, char** argv) {
  using namespace actormq::core;
  CliOutcome cli = parse_command_line(argc, argv, std::cout, std::cerr);
  if (!cli.config) {
    return cli.exit_code;
  }
  // Block the stop signals in every thread (schedulers inherit the mask); the
  // main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  actormq::Broker broker = actormq::BrokerAccess::from_config(std::move(*cli.config), cli.config_file);
  // A failure after the start (a store that turns out unreadable while its
  // retained messages load) stops the broker as SIGTERM would, exit code 1.
  std::atomic<bool> failed{false};
  broker.on_failure([&failed](const std::string&) {
    failed.store(true);
    ::kill(::getpid(), SIGTERM);
  });
  if (actormq::Status started = broker.start(); !started) {
    std::fprintf(stderr, "actormq: %s\n", started.text().c_str());
    return 1;
  }
  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
    ACTORMQ_LOG_NOTICE("received SIGHUP; reloading");
    (void)broker.reload();  // what failed is logged, and keeps its previous settings
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
