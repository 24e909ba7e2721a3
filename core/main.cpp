// The actormq binary: configuration from file and command line, the broker,
// and its signals: SIGINT/SIGTERM stop it (v5 clients get DISCONNECT 0x8B);
// SIGHUP reloads the password, ACL and SCRAM files, the TLS listeners' files
// (and what services read).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <pthread.h>

#include "bridge/cluster/cluster_service.hpp"
#include "bridge/dist/node_service.hpp"
#include "bridge/mqtt/bridge_service.hpp"
#include "core/broker.hpp"
#include "core/config/cli.hpp"
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
  log.set_format(config.log_format);
  if (!config.log_file.empty()) {
    if (auto opened = log.open_file(config.log_file); !opened) {
      std::fprintf(stderr, "actormq: %s\n", opened.error().text().c_str());
      return 1;
    }
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

  Broker broker(std::move(config));
  // The composition root: services beside the sessions (the cluster, MQTT
  // bridges, the HTTP API; core/service.hpp) are built here and handed to
  // broker.add_service() before the start.
  if (const auto& cluster = broker.config().cluster) {
    auto node = std::make_unique<actormq::dist::NodeService>(*cluster);
    auto routes = std::make_unique<actormq::cluster::ClusterService>(*node);
    broker.add_service(std::move(node));  // started first, stopped last
    broker.add_service(std::move(routes));
  }
  if (!broker.config().bridges.empty()) {
    broker.add_service(std::make_unique<actormq::bridge::BridgeService>(broker.config().bridges));
  }
  // A failure after the start (a store that turns out unreadable while its
  // retained messages load) stops the broker as SIGTERM would, exit code 1.
  std::atomic<bool> failed{false};
  broker.on_failure([&failed](const std::string&) {
    failed.store(true);
    ::kill(::getpid(), SIGTERM);
  });
  if (auto started = broker.start(); !started) {
    std::fprintf(stderr, "actormq: %s\n", started.error().text().c_str());
    return 1;
  }
  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
    if (auto reloaded = broker.reload_security(); !reloaded) {
      ACTORMQ_LOG_ERROR("reload failed, the previous rules stay in force: " << reloaded.error().text());
    } else {
      ACTORMQ_LOG_NOTICE("received SIGHUP; password, ACL and SCRAM files reloaded");
    }
    if (auto reloaded = broker.reload_tls(); !reloaded) {
      for (const std::string& err : reloaded.error().messages()) {
        ACTORMQ_LOG_ERROR("TLS reload failed, the listener keeps its previous files: " << err);
      }
    } else {
      for (const std::string& name : *reloaded) {
        ACTORMQ_LOG_NOTICE("listener " << name << ": TLS files reloaded");
      }
    }
    if (auto reloaded = broker.reload_services(); !reloaded) {
      for (const std::string& err : reloaded.error().messages()) {
        ACTORMQ_LOG_ERROR("reload failed, the service keeps its previous settings: " << err);
      }
    }
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
