// The actormq binary: configuration from file and command line, the broker,
// and the signals that stop it (SIGINT/SIGTERM: v5 clients get DISCONNECT 0x8B).
#include <csignal>
#include <cstdio>
#include <iostream>
#include <pthread.h>

#include "core/broker.hpp"
#include "core/cli.hpp"
#include "core/logger.hpp"

int main(int argc, char** argv) {
  using namespace actormq::core;
  CliOutcome cli = parse_command_line(argc, argv, std::cout, std::cerr);
  if (!cli.config) {
    return cli.exit_code;
  }
  Config config = std::move(*cli.config);
  Logger& log = Logger::global();
  log.set_level(config.log_level);
  if (!config.log_file.empty()) {
    if (auto err = log.open_file(config.log_file)) {
      std::fprintf(stderr, "actormq: %s\n", err->c_str());
      return 1;
    }
  }
  // Block the stop signals in every thread (schedulers inherit the mask); the
  // main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Broker broker(std::move(config));
  if (auto err = broker.start()) {
    std::fprintf(stderr, "actormq: %s\n", err->c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  ACTORMQ_LOG_NOTICE("received " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << "; stopping");
  broker.stop();
  return 0;
}
