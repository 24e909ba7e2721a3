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

Limits limits_from(const Config& c) {
  Limits l;
  l.max_packet_size = static_cast<std::uint32_t>(c.max_packet_size);
  l.max_inflight = static_cast<std::uint16_t>(c.max_inflight_messages);
  l.max_queued = static_cast<std::uint32_t>(c.max_queued_messages);
  l.max_queued_bytes = static_cast<std::size_t>(c.max_queued_bytes);
  l.queue_qos0 = c.queue_qos0;
  l.max_topic_levels = static_cast<std::uint32_t>(c.max_topic_levels);
  l.max_subscriptions_per_client = static_cast<std::uint32_t>(c.max_subscriptions_per_client);
  l.topic_alias_maximum = static_cast<std::uint16_t>(c.max_topic_alias);
  l.receive_maximum = static_cast<std::uint16_t>(c.receive_maximum);
  l.max_keepalive = static_cast<std::uint16_t>(c.max_keepalive);
  l.server_keep_alive = static_cast<std::uint16_t>(c.server_keep_alive);
  l.publish_rate.messages_per_s = static_cast<std::uint32_t>(c.max_publish_rate);
  l.publish_rate.bytes_per_s = static_cast<std::uint32_t>(c.max_publish_bytes_rate);
  l.session_expiry_max = static_cast<std::uint32_t>(c.session_expiry_max);
  l.message_expiry_max = static_cast<std::uint32_t>(c.message_expiry_max);
  l.retain_available = c.retain_available;
  l.wildcard_subscription_available = c.wildcard_subscription_available;
  l.shared_subscription_available = c.shared_subscription_available;
  l.subscription_identifiers_available = c.subscription_identifiers_available;
  l.max_connections = c.max_connections;
  l.server_reference = c.server_reference;
  l.response_information = c.response_information;
  l.connect_timeout_ms = static_cast<std::uint32_t>(c.connect_timeout_ms);
  return l;
}

bool persistence_enabled(const Config& c) { return c.durability != Durability::none && c.data_dir != "none"; }

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

Broker::Broker(Config config) : config_(std::move(config)) {}

Status Broker::open_store() {
  bool sync = config_.durability == Durability::sync;
  auto opened = persist::Env::open(persist::EnvOptions{config_.data_dir, sync});
  if (auto* err = std::get_if<std::string>(&opened)) {
    return Failure{*err};
  }
  env_ = std::move(std::get<std::unique_ptr<persist::Env>>(opened));
  if (env_->stale_readers_cleared() > 0) {
    ACTORMQ_LOG_NOTICE("data_dir " << config_.data_dir << ": cleared " << env_->stale_readers_cleared()
                                   << " stale LMDB readers");
  }
  persist::WriterOptions wo;
  wo.sync = sync;
  wo.commit_interval = std::chrono::milliseconds(config_.commit_interval_ms);
  wo.commit_max_ops = static_cast<std::size_t>(config_.commit_max_ops);
  wo.on_error = [](const std::string& e) { ACTORMQ_LOG_ERROR(e); };
  wo.on_recovered = [](const std::string& e) { ACTORMQ_LOG_NOTICE(e); };
  writer_ = std::make_unique<persist::Writer>(*env_, std::move(wo));
  auto started = std::chrono::steady_clock::now();
  auto contents = restore(*env_, *writer_, wall_ms());
  if (!contents) {
    return std::move(contents).error();
  }
  StoreContents& c = *contents;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  ACTORMQ_LOG_NOTICE("data_dir " << config_.data_dir << ": restored " << c.sessions.size() << " sessions in " << ms
                                 << " ms (expired: " << c.expired_sessions
                                 << " sessions); loading the retained messages in the background");
  if (c.dropped_entries > 0) {
    ACTORMQ_LOG_WARNING("data_dir " << config_.data_dir << ": " << c.dropped_entries
                                    << " queued messages had no stored body and were dropped");
  }
  restored_ = std::move(c.sessions);
  ctx_->store = writer_.get();
  ctx_->env = env_.get();
  ctx_->durable_acks = sync;
  ctx_->ack_sink = std::make_shared<AckSink>(*runtime_);
  return mqtt::Ok{};
}

void Broker::start_retained_loader() {
  RetainedLoaderOptions o;
  o.on_error = [this](const std::string& error) {
    ACTORMQ_LOG_ERROR(error);
    if (on_failure_) {
      on_failure_(error);
    }
  };
  o.hold_back = ctx_->faults.retained_load_hold;  // test-only (core/faults.hpp); 0 in production
  loader_ = std::make_unique<RetainedLoader>(*runtime_, *env_, writer_.get(), ctx_->retainer, std::move(o));
}

void Broker::spawn_restored_sessions() {
  std::size_t i = 0;
  for (RestoredSession& r : restored_) {
    sched::SpawnOptions o;
    o.scheduler = static_cast<int>(i++ % runtime_->scheduler_count());
    o.pinned = true;
    o.start = true;
    ctx_->metrics.add(Counter::subscriptions, static_cast<std::int64_t>(r.state.subscriptions.size()));
    // The stored user and listener decide what its will and queue may do.
    // A listener that is gone from the configuration (or a record from
    // before they were stored) leaves it anonymous on the first listener's
    // rules: checked as an anonymous client, never let through.
    std::uint16_t rules = 0;
    std::unique_ptr<std::string> user;
    if (r.listener_index < security_->size()) {
      rules = r.listener_index;
      if (r.username) {
        user = std::make_unique<std::string>(std::move(*r.username));
      }
    } else {
      ACTORMQ_LOG_WARNING("restored session of client " << r.client_id << ": its listener #" << r.listener_index
                                                         << " is no longer configured; it is anonymous on the first");
    }
    std::string id = r.client_id;
    sched::Pid pid = runtime_->spawn(
        std::make_unique<Session>(*ctx_, Session::Restored{std::move(r.client_id), r.version, r.session_expiry_s,
                                                           std::move(r.state), rules, std::move(user)}),
        o);
    ctx_->registry.claim(ClientId(id), pid, false);
  }
  restored_.clear();
}

Status Broker::start_services() {
  for (; services_started_ < services_.size(); ++services_started_) {
    Service& service = *services_[services_started_];
    if (auto started = service.start(*ctx_, *runtime_); !started) {
      return std::move(started).error().prefixed("service " + std::string(service.name()) + ": ");
    }
  }
  return mqtt::Ok{};
}

void Broker::stop_services() {
  for (; services_started_ > 0; --services_started_) {
    services_[services_started_ - 1]->stop();
  }
}

Status Broker::reload_services() {
  std::vector<std::string> errors;
  for (std::size_t i = 0; i < services_started_; ++i) {
    Service& service = *services_[i];
    if (auto reloaded = service.reload(); !reloaded) {
      Failure named = std::move(reloaded).error().prefixed("service " + std::string(service.name()) + ": ");
      errors.insert(errors.end(), named.messages().begin(), named.messages().end());
    }
  }
  if (!errors.empty()) {
    return Failure{std::move(errors)};
  }
  return mqtt::Ok{};
}

Broker::~Broker() { stop(); }

Status Broker::start() {
  if (running_) {
    return mqtt::Ok{};
  }
  // The password, ACL and SCRAM files first: a malformed one stops the start
  // with its path and line, before any port opens.
  ACTORMQ_TRY(security_, Security::load(config_));
  security_->set_host_auth(host_auth_.get());
  // So is a cluster cookie that is missing or open to others.
  std::string cluster_cookie;
  if (config_.cluster) {
    ACTORMQ_TRY(cluster_cookie, load_cookie(*config_.cluster));
  }
  sched::RuntimeConfig rc;
  rc.schedulers = static_cast<unsigned>(config_.schedulers);
  rc.reduction_budget = static_cast<std::int32_t>(config_.reduction_budget);
  // A node of a cluster: its processes' pids carry its node id (sched/pid.hpp).
  rc.node = config_.cluster ? config_.cluster->resolved_node_id() : 0;
  // And this run's creation, so that peers' pids of an earlier run reach
  // none of this run's processes (core/config/node_creation.hpp).
  if (config_.cluster) {
    if (persistence_enabled(config_)) {
      ACTORMQ_TRY(rc.creation, next_node_creation(config_.data_dir));
    } else {
      rc.creation = random_node_creation();
    }
  }
  rc.on_warning = [](const std::string& line) { ACTORMQ_LOG_WARNING(line); };
  runtime_ = std::make_unique<sched::Runtime>(rc);
  ctx_ = std::make_unique<BrokerContext>(*runtime_);
  (void)ctx_->limits.set(limits_from(config_));  // the first of max_versions
  ctx_->reload = reload_hook_;
  ctx_->cluster_cookie = std::move(cluster_cookie);
  ctx_->security = security_.get();
  ctx_->faults = FaultInjection::from_environment();
  if (ctx_->faults.any()) {
    ACTORMQ_LOG_WARNING("fault injection (tests only) is on: " << ctx_->faults.describe());
  }

  std::size_t routers = config_.router_pool_size > 0 ? static_cast<std::size_t>(config_.router_pool_size)
                                                     : runtime_->scheduler_count();
  auto strategy = static_cast<SharedStrategy>(config_.shared_subscription_strategy);
  for (std::size_t i = 0; i < routers; ++i) {
    sched::SpawnOptions o;
    o.scheduler = static_cast<int>(i % runtime_->scheduler_count());
    o.pinned = true;  // "local" must stay local: sessions pick the router of their scheduler
    // Every publisher of a scheduler feeds its router: at normal priority the
    // router got one budget per round against all of theirs and fell behind
    // by hundreds of thousands of messages under fan-in (seconds of delay,
    // gigabytes held); ahead of them, publishers read only what it has routed.
    o.high_priority = true;
    ctx_->routers.routers.push_back(runtime_->spawn(std::make_unique<Router>(strategy), o));
  }
  if (!ctx_->faults.crash_topic.empty()) {
    install_crash_topic(*runtime_, ctx_->faults.crash_topic, ctx_->routers.routers);
  }
  if (persistence_enabled(config_)) {
    if (auto opened = open_store(); !opened) {
      stop();
      return opened;
    }
  }
  sched::SpawnOptions retainer_options;
  retainer_options.pinned = true;  // its expiry sweeps are timers
  retainer_options.start = true;
  ctx_->retainer =
      runtime_->spawn(std::make_unique<Retainer>(ctx_->metrics, ctx_->store, env_ != nullptr), retainer_options);
  if (env_) {
    start_retained_loader();
  }
  // One session supervisor per scheduler: sessions are temporary children
  // (a crashed session is cleaned up and logged, never restarted).
  session_sups_.clear();
  for (std::size_t s = 0; s < runtime_->scheduler_count(); ++s) {
    sched::SpawnOptions o;
    o.scheduler = static_cast<int>(s);
    o.pinned = true;
    o.start = true;
    session_sups_.push_back(runtime_->spawn(std::make_unique<sched::DynamicSupervisor>(), o));
  }
  // Before the first session: a route observer a service registers sees
  // every route, the restored sessions' included.
  if (auto started = start_services(); !started) {
    stop();
    return started;
  }
  spawn_restored_sessions();
  if (config_.sys_interval > 0) {
    sched::SpawnOptions o;
    o.start = true;
    runtime_->spawn(std::make_unique<SysTopics>(*ctx_, static_cast<std::uint32_t>(config_.sys_interval)), o);
  }

  for (std::size_t li = 0; li < config_.listeners.size(); ++li) {
    Result<RunningListener> opened = open_listener(config_.listeners[li], static_cast<std::uint16_t>(li));
    if (!opened) {
      stop();
      return std::move(opened).error();
    }
    listeners_.push_back(std::move(opened).value());
  }
  for (const ListenerSocket& gone : inherited_) {
    ACTORMQ_LOG_NOTICE("inherited listener " << listener_type_names[static_cast<std::size_t>(gone.type)] << " "
                                             << gone.bind << ":" << gone.configured_port
                                             << " is not in the configuration: closed");
    ::close(gone.fd);
  }
  inherited_.clear();
  // Before any HTTP connection is accepted (StartAccepting below), so its
  // connections find the list.
  index_listeners();
  for (const RunningListener& l : listeners_) {
    for (sched::Pid p : l.processes) {
      runtime_->send<StartAccepting>(p);
    }
  }
  running_ = true;
  return mqtt::Ok{};
}

Result<Broker::RunningListener> Broker::open_listener(const ListenerConfig& lc, std::uint16_t security_index) {
  RunningListener running;
  running.config = lc;
  auto port = static_cast<std::uint16_t>(lc.port);
  const std::string type(listener_type_names[static_cast<std::size_t>(lc.type)]);
  // HTTP connections are not clients: they have their own count.
  ListenerSetup setup = make_listener_shared(lc, ctx_->limits.get().max_packet_size,
                                             lc.is_http() ? ctx_->http_connections : ctx_->connections);
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
    running.processes.push_back(runtime_->spawn(std::make_unique<Listener>(*ctx_, lc.bind, port, lc.max_connections,
                                                                          running.shared, make, session_sups_[s],
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
      kept.config = lc;  // its authentication keys, changed in place (Security::reconfigure)
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

DrainReport Broker::drain(std::uint32_t per_second) {
  DrainReport report;
  if (!runtime_) {
    return report;
  }
  auto started = std::chrono::steady_clock::now();
  auto tally = std::make_shared<DrainTally>();
  std::vector<std::pair<std::string, sched::Pid>> sessions = ctx_->registry.snapshot();
  // A session that ended meanwhile never answers: each wait is bounded.
  auto wait_answers = [&tally](std::size_t n, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (tally->answered.load() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  };
  std::size_t sent = 0;
  if (per_second == 0) {
    for (const auto& [client_id, pid] : sessions) {
      sent += runtime_->send<Drain>(pid, Drain{tally}) ? 1 : 0;
    }
    wait_answers(sent, std::chrono::seconds(5));
  } else {
    // The next connection ends no earlier than one interval after the last,
    // so that the clients come back to the new process as a stream, not a
    // storm; offline sessions cost no interval.
    const auto interval = std::chrono::microseconds(1000000 / per_second);
    auto next = started;
    for (const auto& [client_id, pid] : sessions) {
      std::this_thread::sleep_until(next);
      std::size_t before = tally->disconnected.load();
      auto now = std::chrono::steady_clock::now();
      if (!runtime_->send<Drain>(pid, Drain{tally})) {
        continue;
      }
      wait_answers(++sent, std::chrono::seconds(1));
      if (tally->disconnected.load() != before) {
        next = now + interval;
      }
    }
  }
  report.clients = tally->disconnected.load();
  report.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  return report;
}

void Broker::stop() {
  for (const ListenerSocket& unused : inherited_) {
    ::close(unused.fd);  // never started, or a start that failed before it reached them
  }
  inherited_.clear();
  if (!runtime_) {
    return;
  }
  // Stop accepting first, so no session starts while the others end.
  stop_accepting();
  stop_services();  // while the runtime runs, before the sessions end and the store closes
  loader_.reset();  // before the runtime, store and writer it uses
  if (writer_) {
    writer_->keep_bodies();  // queues are torn down now, not emptied: their bodies stay
  }
  if (ctx_ && ctx_->ack_sink) {
    ctx_->ack_sink->close();  // gates released from now on (by the writer) report to nobody
  }
  runtime_->shutdown(5000);
  runtime_.reset();
  ctx_.reset();
  security_.reset();  // after the sessions that pointed into it
  restored_.clear();
  writer_.reset();  // commits what the sessions wrote last, then flushes to disk
  env_.reset();
  session_sups_.clear();
  running_ = false;
}

}  // namespace actormq::core
