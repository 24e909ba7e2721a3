// Broker's listeners: opening them (and the http/https sites), the sockets
// an upgrade hands over, and a reload that reconfigures them with the rest
// of what can change live (TLS files, security, limits). The start, the
// store and the services are in broker.cpp.
#include "core/broker.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <utility>
#include <thread>

#include "core/auth/security.hpp"
#include "core/clock.hpp"
#include "core/config/cluster.hpp"
#include "core/config/node_creation.hpp"
#include "core/faults.hpp"
#include "core/http/http_connection.hpp"
#include "core/listen/listener.hpp"
#include "core/logger.hpp"
#include "core/routing/retainer.hpp"
#include "core/routing/router.hpp"
#include "core/session/session.hpp"
#include "core/sys/sys_topics.hpp"
#include "sched/dynamic_supervisor.hpp"

namespace actormq::core {

namespace {

// What the connections of http/https listener `index` share; its list of
// listeners is filled once all are bound.
std::shared_ptr<HttpSite> make_http_site(const Config& config, const ListenerConfig& lc, std::uint16_t index) {
  auto site = std::make_shared<HttpSite>();
  site->admin_users.insert(lc.admin_users.begin(), lc.admin_users.end());
  site->metrics_auth = lc.metrics_auth;
  site->security_index = index;
  site->started_ms = wall_ms();
  if (config.cluster) {
    site->node = config.cluster->node_name;
  } else {
    char host[256] = {};
    site->node = std::string("actormq@") + (::gethostname(host, sizeof host - 1) == 0 ? host : "localhost");
  }
  if (!lc.password_file) {
    ACTORMQ_LOG_WARNING("listener " << lc.bind << ":" << lc.port << " (" << listener_type_names[static_cast<std::size_t>(lc.type)]
                                    << ") has no password_file: only /api/v1/status and /metrics answer");
  }
  return site;
}

}  // namespace

Result<Broker::RunningListener> Broker::open_listener(const ListenerConfig& lc, std::uint16_t security_index) {
  RunningListener running;
  running.config = lc;
  auto port = static_cast<std::uint16_t>(lc.port);
  const std::string type(listener_type_names[static_cast<std::size_t>(lc.type)]);
  // HTTP connections are not clients: they have their own count.
  ListenerSetup setup = make_listener_shared(lc, ctx_->limits.get().max_packet_size,
                                             lc.is_http() ? ctx_->http_connections : ctx_->connections,
                                             crypto_pool_.get());
  if (!setup) {
    return std::move(setup).error().prefixed("listener " + lc.bind + ":" + std::to_string(lc.port) + " (" + type +
                                              "): ");
  }
  std::vector<int> adopted = take_inherited(lc);
  // An inherited socket holds the port already: that is the point.
  if (adopted.empty()) {
    if (auto taken = net::TcpListener::check_free(lc.bind, port)) {
      return Failure{"cannot listen on " + *taken + " (is another broker running?)"};
    }
  }
  running.shared = std::move(setup).value();
  running.shared->security_index = security_index;
  ConnectionFactory make = [ctx = ctx_.get()](int fd, ConnectionSlot slot) {
    return std::make_unique<Session>(*ctx, fd, std::move(slot));
  };
  if (lc.is_http()) {
    running.site = make_http_site(config_, lc, security_index);
    make = [ctx = ctx_.get(), site = running.site](int fd, ConnectionSlot slot) {
      return std::make_unique<HttpConnection>(*ctx, site, fd, std::move(slot));
    };
  }
  // One socket per scheduler on the same port; the first one fixes an
  // ephemeral port. Every inherited socket is kept, even beyond the
  // scheduler count: closing one would reset the connections waiting in
  // its backlog (SO_REUSEPORT gives each socket its own).
  const std::size_t schedulers = runtime_->scheduler_count();
  for (std::size_t i = 0; i < std::max(schedulers, adopted.size()); ++i) {
    std::size_t s = i % schedulers;
    std::promise<Result<ListenerBound>> bound;
    auto result = bound.get_future();
    sched::SpawnOptions o;
    o.scheduler = static_cast<int>(s);
    o.pinned = true;
    o.start = true;
    int inherited = i < adopted.size() ? std::exchange(adopted[i], -1) : -1;
    running.processes.push_back(runtime_->spawn(std::make_unique<Listener>(*ctx_, lc.bind, port, running.shared, make, session_sups_[s],
                                                                          std::move(bound), inherited),
                                                o));
    Result<ListenerBound> bound_socket = result.get();
    if (!bound_socket) {
      for (int fd : adopted) {
        if (fd >= 0) {
          ::close(fd);
        }
      }
      end_listener_processes(running.processes);
      return std::move(bound_socket).error().prefixed("cannot listen on ");
    }
    port = bound_socket->port;
    running.sockets.push_back(ListenerSocket{lc.type, lc.bind, static_cast<std::uint16_t>(lc.port), bound_socket->fd});
  }
  running.port = port;
  ACTORMQ_LOG_NOTICE("listening on " << lc.bind << ":" << port << " (" << type << ")");
  return running;
}

void Broker::index_listeners() {
  ports_.clear();
  sockets_.clear();
  auto views = std::make_shared<std::vector<ListenerView>>();
  for (const RunningListener& l : listeners_) {
    ports_.push_back(l.port);
    sockets_.insert(sockets_.end(), l.sockets.begin(), l.sockets.end());
    views->push_back(ListenerView{std::string(listener_type_names[static_cast<std::size_t>(l.config.type)]),
                                  l.config.bind, l.port, l.config.max_connections, l.shared});
  }
  std::shared_ptr<const std::vector<ListenerView>> shared_views = std::move(views);
  for (const RunningListener& l : listeners_) {
    if (l.site) {
      l.site->listeners.store(shared_views);
    }
  }
}

void Broker::end_listener_processes(const std::vector<sched::Pid>& processes) {
  for (sched::Pid p : processes) {
    runtime_->exit(p, sched::ExitReason::kill());
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (sched::Pid p : processes) {
    while (runtime_->alive(p) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

Result<std::vector<std::string>> Broker::reload_tls() {
  std::vector<std::string> errors;
  std::vector<std::string> reloaded;
  for (const RunningListener& running : listeners_) {
    const std::shared_ptr<ListenerShared>& listener = running.shared;
    if (!listener->tls) {
      continue;
    }
    if (std::string error = listener->tls->reload(); !error.empty()) {
      errors.push_back("listener " + listener->name + ": " + error);
    } else {
      reloaded.push_back(listener->name);
    }
  }
  if (!reloaded.empty()) {
    // Every session checks its own client against the CRLs now in force
    // (a session of another listener finds nothing to check).
    for (const auto& [client_id, pid] : ctx_->registry.snapshot()) {
      runtime_->send<TlsReloaded>(pid);
    }
  }
  if (!errors.empty()) {
    return Failure{std::move(errors)};
  }
  return reloaded;
}

Status Broker::reload_security() {
  if (!security_) {
    return Failure{"not started"};
  }
  return security_->reload();
}

ReloadReport Broker::reconfigure(Config next) {
  ReloadReport report;
  if (!running_) {
    report.errors.push_back("reload: the broker is not running");
    return report;
  }
  ReloadPlan plan = plan_reload(config_, std::move(next));
  report.needs_restart = plan.needs_restart;
  // The rules slot each listener of the file takes: a running listener's own.
  std::vector<std::optional<std::uint16_t>> reuse;
  for (const std::optional<std::size_t>& kept : plan.kept) {
    reuse.push_back(kept ? std::optional<std::uint16_t>(listeners_[*kept].shared->security_index) : std::nullopt);
  }
  Result<std::vector<std::uint16_t>> slots = security_->reconfigure(plan.next, reuse);
  if (!slots) {
    // No rules for them: the listeners and the authentication keys stay.
    for (const std::string& e : slots.error().messages()) {
      report.errors.push_back("reload failed, the previous rules stay in force: " + e +
                              "; the listeners stay as they were");
    }
    plan.next.listeners = config_.listeners;
    plan.next.allow_anonymous = config_.allow_anonymous;
    plan.next.password_file = config_.password_file;
    plan.next.acl_file = config_.acl_file;
    plan.next.scram_file = config_.scram_file;
    std::erase_if(plan.changed, [](const std::string& key) {
      return key == "allow_anonymous" || key == "password_file" || key == "acl_file" || key == "scram_file";
    });
  } else {
    report.changed.push_back("password, ACL and SCRAM files reloaded");
    reconfigure_listeners(plan, *slots, report);
  }
  report.changed.insert(report.changed.end(), plan.changed.begin(), plan.changed.end());
  if (plan.limits_changed && !ctx_->limits.set(limits_from(plan.next))) {
    report.errors.push_back("the limits were changed " + std::to_string(LimitsInForce::max_versions) +
                            " times since the start: the new ones need a restart");
  }
  config_ = std::move(plan.next);
  config_.listeners.clear();
  for (const RunningListener& l : listeners_) {
    config_.listeners.push_back(l.config);  // what runs: a reload diffs against it
  }
  return report;
}

void Broker::reconfigure_listeners(const ReloadPlan& plan, const std::vector<std::uint16_t>& slots,
                                   ReloadReport& report) {
  // Closed first: a changed listener opens again on the port it held.
  std::vector<sched::Pid> ending;
  for (std::size_t i : plan.closed) {
    ending.insert(ending.end(), listeners_[i].processes.begin(), listeners_[i].processes.end());
    listeners_[i].shared->closed.store(true, std::memory_order_release);
    report.changed.push_back("listener " + listeners_[i].config.name() + ": closed");
  }
  end_listener_processes(ending);
  if (!plan.closed.empty()) {
    for (const auto& [client_id, pid] : ctx_->registry.snapshot()) {
      runtime_->send<ListenerClosed>(pid);  // those of other listeners find nothing to do
    }
  }
  std::vector<RunningListener> now;
  std::vector<sched::Pid> opened;
  for (std::size_t j = 0; j < plan.next.listeners.size(); ++j) {
    const ListenerConfig& lc = plan.next.listeners[j];
    if (plan.kept[j]) {
      RunningListener& kept = listeners_[*plan.kept[j]];
      if (kept.config.max_connections != lc.max_connections) {
        kept.shared->max_connections.store(lc.max_connections, std::memory_order_relaxed);
        report.changed.push_back("listener " + lc.name() + ": max_connections " + std::to_string(lc.max_connections) +
                                 " (in place; its open connections stay)");
      }
      kept.config = lc;  // its authentication keys and max_connections, changed in place
      now.push_back(std::move(kept));
      continue;
    }
    Result<RunningListener> made = open_listener(lc, slots[j]);
    if (!made) {
      for (const std::string& e : made.error().messages()) {
        report.errors.push_back("listener " + lc.name() + ": " + e);
      }
      continue;
    }
    report.changed.push_back("listener " + lc.name() + ": opened");
    opened.insert(opened.end(), made->processes.begin(), made->processes.end());
    now.push_back(std::move(made).value());
  }
  listeners_ = std::move(now);
  index_listeners();
  for (sched::Pid p : opened) {
    runtime_->send<StartAccepting>(p);
  }
}

void Broker::inherit(std::vector<ListenerSocket> sockets) {
  for (ListenerSocket& socket : sockets) {
    inherited_.push_back(std::move(socket));
  }
}

std::vector<int> Broker::take_inherited(const ListenerConfig& lc) {
  std::vector<int> fds;
  std::erase_if(inherited_, [&](const ListenerSocket& s) {
    if (s.type != lc.type || s.bind != lc.bind || s.configured_port != lc.port) {
      return false;
    }
    fds.push_back(s.fd);
    return true;
  });
  return fds;
}

void Broker::stop_accepting() {
  if (!runtime_) {
    return;
  }
  std::vector<sched::Pid> processes;
  for (const RunningListener& l : listeners_) {
    processes.insert(processes.end(), l.processes.begin(), l.processes.end());
  }
  end_listener_processes(processes);
  listeners_.clear();
  sockets_.clear();
}

}  // namespace actormq::core
