#pragma once
// actormq::core::Broker: one run of the broker. The library API,
// actormq::Broker (include/actormq/broker.hpp, embed/), builds one per start().
//
//     actormq::core::Broker broker(config);
//     broker.add_service(std::make_unique<MyService>(...));  // optional
//     if (auto started = broker.start(); !started) { ... started.error().text() ... }
//     ... broker.ports()[0] ...
//     broker.stop();
//
// Services (core/service.hpp) are what the composition root adds beside the
// sessions: the cluster, MQTT bridges, the HTTP API. The broker starts them
// in the order added, after its routers, retainer and store and before any
// session or listener, and stops them in the reverse order.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/auth/security.hpp"
#include "core/broker_context.hpp"
#include "core/config/config.hpp"
#include "core/config/reload_plan.hpp"
#include "core/listen/listener.hpp"
#include "core/reload_report.hpp"
#include "core/routing/retained_load.hpp"
#include "core/service.hpp"
#include "core/session/restore.hpp"
#include "net/crypto_pool.hpp"
#include "persist/env.hpp"
#include "persist/writer.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

struct ListenerShared;
struct HttpSite;

/// What Broker::drain did.
struct DrainReport {
  std::size_t clients = 0;  ///< connections ended
  std::int64_t ms = 0;      ///< how long it took
};

class Broker {
 public:
  explicit Broker(Config config);
  /// Stops the broker if it is running.
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  /// Adds a service, started by the next start() after those added before
  /// it (core/service.hpp). Call before start(); not thread-safe.
  void add_service(std::unique_ptr<Service> service) { services_.push_back(std::move(service)); }

  /// Starts schedulers, routers, the retainer, the store, the services and
  /// the listeners. On failure returns why (naming the listener address, or
  /// "service <name>: " and the service's error) and leaves nothing running:
  /// the services already started are stopped again.
  [[nodiscard]] Status start();
  /// Stops accepting, stops the services (last started first), disconnects
  /// every client (v5: DISCONNECT 0x8B), ends every process, closes the
  /// store. Idempotent.
  void stop();

  /// Listening sockets handed over by the process before an upgrade
  /// (core/upgrade/): start() listens on them instead of binding afresh, for
  /// the listeners of the configuration they match (type, bind, configured
  /// port), and closes the others. Owned from now on. Call before start();
  /// not thread-safe.
  void inherit(std::vector<ListenerSocket> sockets);
  /// Every listening socket, one per listener process, with its listener's
  /// identity; the descriptors stay the listeners' (dup them to keep them).
  /// Empty unless running. Not thread-safe.
  std::vector<ListenerSocket> listening_sockets() const { return sockets_; }
  /// The first half of stop(): the listeners close their sockets (a socket
  /// another process also holds goes on listening there). Not thread-safe.
  void stop_accepting();
  /// Upgrade: ends every client connection as stop() would (v5: DISCONNECT
  /// 0x8B), at most `per_second` a second
  /// (0: all at once), but a persistent session stays, offline, queueing
  /// what arrives for its client until stop(). Call after stop_accepting().
  /// Blocks the caller for the duration. Not thread-safe.
  DrainReport drain(std::uint32_t per_second);

  /// Reads the password, ACL and SCRAM files again (SIGHUP). Connections
  /// stay; what they do next is checked against the new rules. On an error
  /// returns it, and the old rules stay in force. Thread-safe.
  [[nodiscard]] Status reload_security();
  /// Calls every running service's reload() (SIGHUP), in start order. Fails
  /// with one message "service <name>: <error>" per service that failed (it
  /// keeps its previous settings). Not thread-safe.
  [[nodiscard]] Status reload_services();
  /// Reads the TLS listeners' certfile, keyfile, cafile, capath and crlfile
  /// again (SIGHUP). New handshakes use the new files, established
  /// connections stay, but a client whose certificate a reloaded CRL lists
  /// is disconnected. A listener whose files fail to load keeps its old
  /// ones; one message per such listener, naming it and the file. Returns
  /// the names of the listeners reloaded. Not thread-safe.
  [[nodiscard]] Result<std::vector<std::string>> reload_tls();
  /// Puts `next` (a configuration read again from the file, valid) in force
  /// as far as a running broker can (core/config/reload_plan.hpp): listeners
  /// gone or changed close (their clients are disconnected, v5 with
  /// DISCONNECT 0x8B), new or changed ones open, unchanged ones keep their
  /// sockets and clients; the authentication keys and files apply to what
  /// clients do next; the limits apply to connections accepted from now on;
  /// keys that need a restart keep their running value and are named. A
  /// listener that cannot open is reported and not running; authentication
  /// files that do not load leave the listeners and the rules as they were.
  /// The log settings are the caller's (the logger is process-wide). Not
  /// thread-safe; not from a scheduler thread (it waits for listeners).
  [[nodiscard]] ReloadReport reconfigure(Config next);
  /// What POST /api/v1/reload runs (BrokerContext::reload); set before start().
  void set_reload_hook(ReloadHook hook) { reload_hook_ = std::move(hook); }

  /// `f` is called, on another thread, if the broker cannot go on after
  /// start() succeeded: the retained messages, read in the background,
  /// could not be read (the text names data_dir). The embedder should stop
  /// the broker. Set before start().
  void on_failure(std::function<void(const std::string&)> f) { on_failure_ = std::move(f); }
  /// The embedding program's authentication and authorisation hooks
  /// (core/auth/host_auth.hpp), asked before the configuration's rules. Set
  /// before start().
  void set_host_auth(std::shared_ptr<const HostAuth> host) { host_auth_ = std::move(host); }

  /// Bound port of each listener, in config order (after start()).
  const std::vector<std::uint16_t>& ports() const { return ports_; }
  BrokerContext& context() { return *ctx_; }
  const Config& config() const { return config_; }

 private:
  /// Opens the store and reads back all but the retained messages; an
  /// error names data_dir.
  Status open_store();
  /// The retained messages load in the background (core/routing/retained_load.hpp).
  void start_retained_loader();
  void spawn_restored_sessions();
  /// The inherited sockets of listener `lc`, taken out of inherited_.
  std::vector<int> take_inherited(const ListenerConfig& lc);
  /// One listener config as it runs.
  struct RunningListener {
    ListenerConfig config;
    std::vector<sched::Pid> processes;  ///< one per scheduler (or inherited socket)
    std::shared_ptr<ListenerShared> shared;
    std::vector<ListenerSocket> sockets;  ///< the processes' (borrowed)
    std::uint16_t port = 0;               ///< bound
    std::shared_ptr<HttpSite> site;       ///< http/https
  };
  /// Opens listener `lc` with rules slot `security_index`, paused until
  /// StartAccepting; an error names the address.
  Result<RunningListener> open_listener(const ListenerConfig& lc, std::uint16_t security_index);
  /// Ends listener processes and waits (2 s at most) until they are gone.
  void end_listener_processes(const std::vector<sched::Pid>& processes);
  /// ports_, sockets_ and every http site's listener list, from listeners_.
  void index_listeners();
  /// The listener part of reconfigure.
  void reconfigure_listeners(const ReloadPlan& plan, const std::vector<std::uint16_t>& slots, ReloadReport& report);
  /// Starts the services in order until one fails (its error, named).
  Status start_services();
  /// Stops the started services, last started first.
  void stop_services();

  Config config_;
  std::unique_ptr<Security> security_;
  // The store outlives the runtime: sessions write to it until they end.
  std::unique_ptr<persist::Env> env_;
  std::unique_ptr<persist::Writer> writer_;
  std::vector<RestoredSession> restored_;  // handed to their processes at start
  std::unique_ptr<sched::Runtime> runtime_;
  // The TLS listeners' handshake workers (mbedTLS builds): made after the
  // runtime they wake sessions in, ended after its shutdown and before it.
  std::unique_ptr<net::CryptoPool> crypto_pool_;
  std::unique_ptr<BrokerContext> ctx_;
  std::unique_ptr<RetainedLoader> loader_;  // ends before the runtime and the store
  std::function<void(const std::string&)> on_failure_;
  std::shared_ptr<const HostAuth> host_auth_;
  std::vector<std::unique_ptr<Service>> services_;
  std::size_t services_started_ = 0;  // a prefix of services_
  std::vector<sched::Pid> session_sups_;  // one per scheduler
  std::vector<RunningListener> listeners_;  // in config order
  std::vector<ListenerSocket> inherited_;  // not yet adopted (owned)
  std::vector<ListenerSocket> sockets_;    // the listeners' own (borrowed)
  std::vector<std::uint16_t> ports_;
  ReloadHook reload_hook_;
  bool running_ = false;
};

/// Limits as the sessions see them, from the configuration.
Limits limits_from(const Config& config);

/// True when the configuration keeps a store: durability other than none
/// and a data_dir other than "none".
bool persistence_enabled(const Config& config);

}  // namespace actormq::core
