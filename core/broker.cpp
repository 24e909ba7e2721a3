#include "core/broker.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <string_view>
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
#include "net/tls_context.hpp"
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
  if (std::string_view(net::TlsContext::backend()) == "mbedtls") {
    crypto_pool_ = std::make_unique<net::CryptoPool>(static_cast<unsigned>(config_.tls_handshake_threads));
  }
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
  ctx_->routers.node_rows = std::make_shared<NodeRoutes>(routers);
  ctx_->routers.local_rows = std::make_shared<LocalRoutes>(routers);
  for (std::size_t i = 0; i < routers; ++i) {
    sched::SpawnOptions o;
    o.scheduler = static_cast<int>(i % runtime_->scheduler_count());
    o.pinned = true;  // "local" must stay local: sessions pick the router of their scheduler
    // Every publisher of a scheduler feeds its router: at normal priority the
    // router got one budget per round against all of theirs and fell behind
    // by hundreds of thousands of messages under fan-in (seconds of delay,
    // gigabytes held); ahead of them, publishers read only what it has routed.
    o.high_priority = true;
    ctx_->routers.routers.push_back(
        runtime_->spawn(std::make_unique<Router>(strategy, ctx_->routers.local_rows, ctx_->routers.node_rows, i), o));
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
  const std::size_t restored = restored_.size();
  spawn_restored_sessions();
  // Nothing is routed from outside before the restored sessions' routes are
  // on their way to the routers (core/restore_latch.hpp).
  if (!ctx_->restored.wait(restored, std::chrono::seconds(30))) {
    ACTORMQ_LOG_WARNING("the restored sessions did not all take their routes back within 30 s; serving anyway");
  }
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
  for (std::size_t i = 0; i < services_started_; ++i) {
    services_[i]->serving();
  }
  return mqtt::Ok{};
}

DrainReport Broker::drain(std::uint32_t per_second) {
  DrainReport report;
  if (!runtime_) {
    return report;
  }
  auto started = std::chrono::steady_clock::now();
  auto tally = std::make_shared<DrainTally>();
  auto reference = config_.upgrade_server_reference.empty()
                       ? nullptr
                       : std::make_shared<const std::string>(config_.upgrade_server_reference);
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
      sent += runtime_->send<Drain>(pid, Drain{tally, reference}) ? 1 : 0;
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
      if (!runtime_->send<Drain>(pid, Drain{tally, reference})) {
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
  crypto_pool_.reset();  // every stream is closed: what the workers still hold they free
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
