// actormq::Broker (include/actormq/broker.hpp): the composition root. Each
// start() builds a core::Broker and the services the configuration asks
// for (cluster, MQTT bridges) beside the host's own (embed/host_hub.hpp),
// so a restart begins from nothing but the configuration and the
// subscriptions.
#include "actormq/broker.hpp"

#include <atomic>
#include <mutex>
#include <thread>
#include <utility>

#include "bridge/cluster/cluster_service.hpp"
#include "bridge/dist/node_service.hpp"
#include "bridge/mqtt/bridge_service.hpp"
#include "core/broker.hpp"
#include "core/broker_context.hpp"
#include "core/logger.hpp"
#include "embed/access.hpp"
#include "embed/host_hub.hpp"
#include "embed/host_properties.hpp"
#include "mqtt/topic.hpp"

namespace actormq {

namespace {

Status status_of(const core::Failure& f) { return Status(f.messages()); }

core::HostDecision decision_of(Decision d) {
  switch (d) {
    case Decision::allow:
      return core::HostDecision::allow;
    case Decision::deny:
      return core::HostDecision::deny;
    case Decision::defer:
      break;
  }
  return core::HostDecision::defer;
}

Access access_of(const core::HostAccess& a) {
  if (a.filter) {
    return Access::subscribe;
  }
  return a.access == core::AclAccess::write ? Access::publish : Access::receive;
}

// The host's hooks in core's terms (core/auth/host_auth.hpp).
std::shared_ptr<const core::HostAuth> host_auth_of(const AuthenticateHook& authenticate,
                                                   const AuthorizeHook& authorize) {
  if (!authenticate && !authorize) {
    return nullptr;
  }
  auto host = std::make_shared<core::HostAuth>();
  if (authenticate) {
    host->authenticate = [authenticate](const core::HostConnect& c) {
      return decision_of(authenticate(ConnectRequest{c.client_id, c.username, c.password, c.identity}));
    };
  }
  if (authorize) {
    host->authorize = [authorize](const core::HostAccess& a) {
      return decision_of(authorize(AccessRequest{a.client.client_id, a.client.username, a.topic, access_of(a)}));
    };
  }
  return host;
}

}  // namespace

std::string Status::text() const {
  std::string out;
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    out += (i ? "\n" : "") + messages_[i];
  }
  return out;
}

struct Broker::Impl {
  Impl(core::Config c, std::string file, core::CliOverrides o)
      : config(std::move(c)), config_file(std::move(file)), overrides(std::move(o)), hub(callback_queue_limit) {}

  Status start();
  void stop();
  Status reload();
  /// Reads the file again and puts it in force (core::Broker::reconfigure),
  /// then the TLS files and the services; logs each outcome.
  core::ReloadReport reload_report();
  /// The reload as the HTTP API asks for it (core::ReloadHook): on the
  /// worker thread, one at a time.
  bool start_reload_worker(std::function<void(core::ReloadReport)> done);
  void join_reload_worker();
  /// Applies the configuration's log settings to the process-wide logger.
  core::Status configure_logger() const;

  core::Config config;  ///< guarded by mu; a reload puts what it applied here, for the next start
  const std::string config_file;  ///< where config came from, if a file: read again on reload()
  const core::CliOverrides overrides;  ///< the binary's command line, applied to what reload() reads
  embed::HostHub hub;
  // Guards `broker`, `on_failure` and the hooks: start, stop and reload do not overlap.
  mutable std::mutex mu;
  std::unique_ptr<core::Broker> broker;  // of the current run; null: stopped
  std::function<void(const std::string&)> on_failure;
  AuthenticateHook authenticate;
  AuthorizeHook authorize;
  std::vector<core::ListenerSocket> inherited;  // for the next start (BrokerAccess::inherit)
  // The HTTP API's reloads run here, not on a scheduler (the reload waits
  // for listener processes); joined before a stop takes `mu`.
  std::mutex worker_mu;
  std::thread worker;
  std::atomic<bool> worker_busy{false};
};

core::Status Broker::Impl::configure_logger() const {
  core::Logger& log = core::Logger::global();
  log.set_level(config.log_level);
  log.set_format(config.log_format);
  if (!config.log_file.empty()) {
    return log.open_file(config.log_file);
  }
  return mqtt::Ok{};
}

Status Broker::Impl::start() {
  std::lock_guard lock(mu);
  if (broker) {
    return {};
  }
  if (auto logging = configure_logger(); !logging) {
    return status_of(logging.error());
  }
  auto b = std::make_unique<core::Broker>(config);
  if (const auto& cluster = b->config().cluster) {
    auto node = std::make_unique<dist::NodeService>(*cluster);
    auto routes = std::make_unique<cluster::ClusterService>(*node);
    b->add_service(std::move(node));  // started first, stopped last
    b->add_service(std::move(routes));
  }
  if (!b->config().bridges.empty() || !config_file.empty()) {
    // With a file, even without bridges: a reload may add some.
    b->add_service(std::make_unique<bridge::BridgeService>(b->config().bridges, config_file));
  }
  b->add_service(std::make_unique<embed::HostService>(hub));
  b->on_failure(on_failure);
  b->set_host_auth(host_auth_of(authenticate, authorize));
  b->inherit(std::exchange(inherited, {}));
  if (!config_file.empty()) {
    b->set_reload_hook([this](std::function<void(core::ReloadReport)> done) {
      return start_reload_worker(std::move(done));
    });
  }
  if (auto started = b->start(); !started) {
    return status_of(started.error());
  }
  broker = std::move(b);
  return {};
}

void Broker::Impl::stop() {
  join_reload_worker();
  std::lock_guard lock(mu);
  if (broker) {
    broker->stop();
    broker.reset();
  }
}

bool Broker::Impl::start_reload_worker(std::function<void(core::ReloadReport)> done) {
  std::lock_guard lock(worker_mu);
  if (worker_busy.load()) {
    return false;
  }
  if (worker.joinable()) {
    worker.join();  // the previous one, done
  }
  worker_busy.store(true);
  worker = std::thread([this, done = std::move(done)] {
    ACTORMQ_LOG_NOTICE("reload requested through the HTTP API");
    done(reload_report());
    worker_busy.store(false);
  });
  return true;
}

void Broker::Impl::join_reload_worker() {
  std::lock_guard lock(worker_mu);
  if (worker.joinable()) {
    worker.join();
  }
}

Status Broker::Impl::reload() {
  core::ReloadReport report = reload_report();
  return Status(std::move(report.errors));
}

core::ReloadReport Broker::Impl::reload_report() {
  std::lock_guard lock(mu);
  core::ReloadReport report;
  if (!broker) {
    report.errors.push_back("reload: the broker is not running");
    return report;
  }
  if (config_file.empty()) {
    // Built from JSON in code: no file to read again, only the files it names.
    if (auto reloaded = broker->reload_security(); !reloaded) {
      ACTORMQ_LOG_ERROR("reload failed, the previous rules stay in force: " << reloaded.error().text());
      report.errors = reloaded.error().messages();
    } else {
      ACTORMQ_LOG_NOTICE("password, ACL and SCRAM files reloaded");
      report.changed.push_back("password, ACL and SCRAM files reloaded");
    }
  } else {
    core::Result<core::Config> read = core::load_config(config_file);
    if (read) {
      // As at start: the command line's options over the file, and its rules checked again.
      read = core::apply_overrides(std::move(read).value(), overrides);
      if (auto valid = core::validate_config(*read); !valid) {
        read = std::move(valid).error().prefixed("command line: ");
      }
    }
    if (!read) {
      for (const std::string& err : read.error().messages()) {
        ACTORMQ_LOG_ERROR("reload: " << err);
      }
      ACTORMQ_LOG_ERROR("reload: " << config_file << " not applied; the running configuration stays");
      report.file_ok = false;
      report.errors = read.error().messages();
      return report;
    }
    report = broker->reconfigure(std::move(read).value());
    config = broker->config();
    core::Logger::global().set_level(config.log_level);
    core::Logger::global().set_format(config.log_format);
    for (const std::string& what : report.changed) {
      ACTORMQ_LOG_NOTICE("reload: " << what);
    }
    for (const std::string& key : report.needs_restart) {
      ACTORMQ_LOG_WARNING("reload: " << key << " changed in the file and needs a restart; the running value stays");
    }
    for (const std::string& err : report.errors) {
      ACTORMQ_LOG_ERROR(err);
    }
  }
  if (auto reloaded = broker->reload_tls(); !reloaded) {
    for (const std::string& err : reloaded.error().messages()) {
      ACTORMQ_LOG_ERROR("TLS reload failed, the listener keeps its previous files: " << err);
      report.errors.push_back(err);
    }
  } else {
    for (const std::string& name : *reloaded) {
      ACTORMQ_LOG_NOTICE("listener " << name << ": TLS files reloaded");
    }
  }
  if (auto reloaded = broker->reload_services(); !reloaded) {
    for (const std::string& err : reloaded.error().messages()) {
      ACTORMQ_LOG_ERROR("reload failed, the service keeps its previous settings: " << err);
      report.errors.push_back(err);
    }
  }
  return report;
}

Broker BrokerAccess::from_config(core::Config config, std::string config_file, core::CliOverrides overrides) {
  return Broker(
      std::make_unique<Broker::Impl>(std::move(config), std::move(config_file), std::move(overrides)));
}

void BrokerAccess::inherit(Broker& broker, std::vector<core::ListenerSocket> sockets) {
  std::lock_guard lock(broker.impl_->mu);
  for (core::ListenerSocket& s : sockets) {
    broker.impl_->inherited.push_back(std::move(s));
  }
}

std::vector<core::ListenerSocket> BrokerAccess::listening_sockets(Broker& broker) {
  std::lock_guard lock(broker.impl_->mu);
  return broker.impl_->broker ? broker.impl_->broker->listening_sockets() : std::vector<core::ListenerSocket>{};
}

core::DrainReport BrokerAccess::drain(Broker& broker, std::uint32_t per_second) {
  std::lock_guard lock(broker.impl_->mu);
  if (!broker.impl_->broker) {
    return {};
  }
  broker.impl_->broker->stop_accepting();
  return broker.impl_->broker->drain(per_second);
}

Broker::Broker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Broker::Broker(Broker&&) noexcept = default;
Broker& Broker::operator=(Broker&&) noexcept = default;

Broker::~Broker() {
  if (impl_) {
    impl_->stop();
  }
}

Broker Broker::from_json(std::string_view json) {
  core::Result<core::Config> config = core::parse_config(json);
  if (!config) {
    throw Error(status_of(config.error()));
  }
  return BrokerAccess::from_config(std::move(config).value());
}

Broker Broker::from_file(const std::string& path) {
  core::Result<core::Config> config = core::load_config(path);
  if (!config) {
    throw Error(status_of(config.error()));
  }
  return BrokerAccess::from_config(std::move(config).value(), path);
}

Status Broker::start() { return impl_->start(); }
void Broker::stop() { impl_->stop(); }
Status Broker::reload() { return impl_->reload(); }

bool Broker::running() const {
  std::lock_guard lock(impl_->mu);
  return impl_->broker != nullptr;
}

std::vector<std::uint16_t> Broker::ports() const {
  std::lock_guard lock(impl_->mu);
  return impl_->broker ? impl_->broker->ports() : std::vector<std::uint16_t>{};
}

void Broker::on_authenticate(AuthenticateHook hook) {
  std::lock_guard lock(impl_->mu);
  impl_->authenticate = std::move(hook);
}

void Broker::on_authorize(AuthorizeHook hook) {
  std::lock_guard lock(impl_->mu);
  impl_->authorize = std::move(hook);
}

void Broker::on_failure(std::function<void(const std::string&)> f) {
  std::lock_guard lock(impl_->mu);
  impl_->on_failure = std::move(f);
}

Status Broker::publish(std::string_view topic, std::string_view payload, QoS qos, bool retain) {
  if (auto published = impl_->hub.publish(topic, payload, static_cast<mqtt::QoS>(qos), retain); !published) {
    return status_of(published.error());
  }
  return {};
}

Status Broker::publish(std::string_view topic, std::string_view payload, QoS qos, bool retain,
                       const Properties& properties) {
  auto props = embed::publish_properties(properties);
  if (!props) {
    return status_of(props.error());
  }
  if (auto published = impl_->hub.publish(topic, payload, static_cast<mqtt::QoS>(qos), retain, std::move(*props));
      !published) {
    return status_of(published.error());
  }
  return {};
}

SubscriptionId Broker::subscribe(std::string_view filter, Callback callback, QoS qos) {
  if (!mqtt::is_valid_topic_filter(filter) || filter.starts_with("$share/")) {
    throw Error(Status({"subscribe: \"" + std::string(filter) + "\" is not a valid topic filter (or is a shared one)"}));
  }
  return impl_->hub.subscribe(std::string(filter), std::move(callback), static_cast<mqtt::QoS>(qos));
}

void Broker::unsubscribe(SubscriptionId id) { impl_->hub.unsubscribe(id); }

Counters Broker::counters() const {
  Counters c;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->broker) {
      core::BrokerContext& ctx = impl_->broker->context();
      c.connections = ctx.connections.load(std::memory_order_relaxed);
      c.clients_connected = ctx.metrics.get(core::Counter::clients_connected);
      c.messages_received = ctx.metrics.get(core::Counter::messages_received);
      c.messages_sent = ctx.metrics.get(core::Counter::messages_sent);
    }
  }
  embed::HostCounters host = impl_->hub.counters();
  c.host_published = host.published;
  c.host_delivered = host.delivered;
  c.host_dropped = host.dropped;
  return c;
}

}  // namespace actormq
