#pragma once
// actormq as a library: an MQTT 3.1.1 and 5.0 broker inside a host program.
//
//     actormq::Broker broker = actormq::Broker::from_file("/etc/actormq/actormq.json");
//     if (actormq::Status s = broker.start(); !s) { std::cerr << s.text() << '\n'; }
//     auto id = broker.subscribe("cmd/#", [](const actormq::Message& m) { ... });
//     broker.publish("sensors/t1", "21.5", actormq::QoS::at_least_once, true).ok();
//     broker.stop();
//
// The configuration is the JSON of the actormq binary's config file, and the
// library builds what the binary builds from it (listeners, store, cluster,
// MQTT bridges, HTTP API): the binary is this API plus a command line and
// signals. Brokers share nothing but the process-wide logger (see start()),
// so several run in one process on different ports and data directories.
//
// Thread safety: every member may be called from any thread, and concurrently,
// except that the destructor must not race with the other members.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actormq {

/// Success, or why something failed: one sentence per message, naming what
/// to fix (the file and line, the config key, the address), the same text
/// the actormq binary prints.
class [[nodiscard]] Status {
 public:
  Status() = default;
  explicit Status(std::vector<std::string> messages) : messages_(std::move(messages)) {}

  bool ok() const noexcept { return messages_.empty(); }
  explicit operator bool() const noexcept { return ok(); }
  const std::vector<std::string>& messages() const noexcept { return messages_; }
  /// The messages one per line, without a final newline.
  std::string text() const;

 private:
  std::vector<std::string> messages_;
};

/// Thrown by the factories for a configuration that does not parse or
/// breaks a rule; what() is Status::text().
class Error : public std::runtime_error {
 public:
  explicit Error(Status status) : std::runtime_error(status.text()), status_(std::move(status)) {}
  const std::vector<std::string>& messages() const noexcept { return status_.messages(); }

 private:
  Status status_;
};

enum class QoS : std::uint8_t { at_most_once = 0, at_least_once = 1, exactly_once = 2 };

/// The MQTT 5 properties of a message (PUBLISH, MQTT 5 3.3.2.3): MQTT 5
/// clients receive them, 3.1.1 clients the message alone (its expiry still
/// applies to them). Strings are UTF-8 (without U+0000), each at most
/// 65,535 bytes, as the protocol carries them.
struct Properties {
  std::optional<bool> payload_utf8;                      ///< Payload Format Indicator: true, UTF-8 text
  std::optional<std::uint32_t> message_expiry_interval;  ///< seconds
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;    ///< a topic name (no wildcards)
  std::optional<std::string> correlation_data;  ///< binary
  std::vector<std::pair<std::string, std::string>> user_properties;  ///< in order; a key may repeat
};

/// A message as a subscription's callback receives it.
struct Message {
  std::string topic;
  std::string payload;
  QoS qos = QoS::at_most_once;  ///< min(published QoS, subscription's QoS)
  bool retain = false;          ///< a retained message sent because the subscription is new
  /// As published; a message expiry interval is what is left of it.
  Properties properties;
};

/// Counters of the current run (since the last start(); zero when stopped),
/// except the host ones, which count over the Broker's whole life.
struct Counters {
  std::int64_t connections = 0;        ///< open MQTT client sockets
  std::int64_t clients_connected = 0;  ///< clients whose CONNECT was accepted
  std::int64_t messages_received = 0;  ///< PUBLISH packets from clients
  std::int64_t messages_sent = 0;      ///< PUBLISH packets to clients
  std::int64_t host_published = 0;     ///< messages publish() handed to the routers
  std::int64_t host_delivered = 0;     ///< callback calls made
  std::int64_t host_dropped = 0;       ///< messages for callbacks dropped: the callback queue was full
};

using SubscriptionId = std::uint64_t;
using Callback = std::function<void(const Message&)>;

/// What a hook decides; `defer` leaves it to the configuration's rules
/// (allow_anonymous, password_file, acl_file), as if there were no hook.
enum class Decision : std::uint8_t { defer, allow, deny };

/// A client's CONNECT, as the authentication hook sees it (valid during the call).
struct ConnectRequest {
  std::string_view client_id;             ///< as sent; empty: the broker assigns one
  const std::string* username = nullptr;  ///< null: none sent
  const std::string* password = nullptr;  ///< null: none sent (binary data)
  std::string_view identity;              ///< TLS client certificate CN or PSK identity; empty: none
};

enum class Access : std::uint8_t {
  publish,    ///< a client's PUBLISH (and its will, when sent)
  subscribe,  ///< a filter of a client's SUBSCRIBE
  receive,    ///< a message about to be delivered to a client
};

/// An access, as the authorisation hook sees it (valid during the call).
struct AccessRequest {
  std::string_view client_id;
  const std::string* username = nullptr;  ///< null: anonymous
  std::string_view topic;  ///< the topic name; for subscribe the filter (without $share/<group>/)
  Access access = Access::publish;
};

using AuthenticateHook = std::function<Decision(const ConnectRequest&)>;
using AuthorizeHook = std::function<Decision(const AccessRequest&)>;

struct BrokerAccess;  // the binary's way in (embed/), not part of the API

class Broker {
 public:
  /// Messages waiting for callbacks, at most; beyond it they are dropped
  /// (Counters::host_dropped), so a slow callback never holds up the broker.
  static constexpr std::size_t callback_queue_limit = 65536;

  /// The configuration in `json` (the config file's format, comments
  /// allowed). Throws Error with every problem found, one message each.
  static Broker from_json(std::string_view json);
  /// The configuration file at `path`; Error's messages start with "path: ".
  static Broker from_file(const std::string& path);

  Broker(Broker&&) noexcept;
  Broker& operator=(Broker&&) noexcept;
  /// Stops the broker if it runs, and ends the callback thread.
  ~Broker();

  /// Opens the store and the listeners and starts the services. Running
  /// already: nothing. On failure nothing is left running. Sets the
  /// process-wide logger (log_level, log_format, log_file) from this
  /// broker's configuration: with several brokers, the last one started
  /// decides.
  Status start();
  /// Closes the listeners, disconnects every client (v5: DISCONNECT 0x8B),
  /// stops the services and closes the store. Idempotent; start() may
  /// follow. Subscriptions stay and are routed again by the next start().
  void stop();
  bool running() const;
  /// Bound port of each listener, in config order (empty when stopped).
  std::vector<std::uint16_t> ports() const;

  /// What SIGHUP does to the binary: for a broker from_file(), reads that
  /// file again and puts it in force: listeners added open, removed or
  /// changed ones close (their clients are disconnected), unchanged ones
  /// keep their clients; limits apply to new connections; log_level,
  /// log_format and the authentication keys at once; bridges added start,
  /// removed ones stop, changed ones start again; keys that need a restart
  /// (data_dir, schedulers, cluster, ...) keep their running value and are
  /// logged. A file that does not parse changes nothing. Then, for every
  /// broker, reads the password, ACL and SCRAM files, the TLS listeners'
  /// files and the services' files again. Parts that fail keep their
  /// previous settings; their errors are returned (and logged).
  Status reload();
  /// `f` is called, on a thread of the broker, when the broker cannot go on
  /// after start() succeeded (its store could not be read); the host should
  /// stop() it (from another thread). Set before start().
  void on_failure(std::function<void(const std::string&)> f);
  /// The host decides which clients may connect (deny: CONNACK 0x86, 3.1.1
  /// return code 4), before the configuration's rules (defer). Not asked
  /// for a CONNECT with enhanced authentication (SCRAM). Called on the
  /// broker's scheduler threads, concurrently, once per CONNECT: keep it
  /// fast, thread-safe and never blocking. Set before start(); takes
  /// effect at the next start(). An empty function: no hook.
  void on_authenticate(AuthenticateHook hook);
  /// The host decides what clients may publish, subscribe to and receive
  /// (deny: as an ACL denial: v5 0x87 on the acknowledgement, a refused
  /// subscription, a delivery dropped), before the configuration's ACL
  /// (defer). Called as on_authenticate's hook is, for every publish,
  /// subscription and delivery: it is on the message path.
  void on_authorize(AuthorizeHook hook);

  /// Publishes as a client would, without ACL checks (the host is trusted).
  /// Fails for a topic that is not a valid topic name or has too many
  /// levels, and when the broker is not running. Messages one thread
  /// publishes keep their order.
  Status publish(std::string_view topic, std::string_view payload, QoS qos = QoS::at_most_once,
                 bool retain = false);
  /// The same, with MQTT 5 properties; also fails for properties the
  /// protocol cannot carry (see Properties), naming the property.
  Status publish(std::string_view topic, std::string_view payload, QoS qos, bool retain,
                 const Properties& properties);
  /// Calls `callback` for every message matching `filter` (MQTT wildcards;
  /// shared subscriptions are not supported), retained ones first, at most
  /// at `qos`. Callbacks of all subscriptions run one at a time, in order,
  /// on one thread of the library (not the caller's, not the broker's); a
  /// callback may call any member but the destructor. Works before start()
  /// and across restarts; while running, it returns once the routes are in
  /// place, so a publish made after it, by any thread, reaches it. Throws
  /// Error for an invalid filter.
  SubscriptionId subscribe(std::string_view filter, Callback callback, QoS qos = QoS::at_most_once);
  /// Ends a subscription: once it returns, its callback is not running and
  /// is not called again, so what it uses may be destroyed (called from a
  /// callback, it does not wait for that call). Unknown ids: nothing. What
  /// a callback uses must otherwise outlive the Broker.
  void unsubscribe(SubscriptionId id);

  Counters counters() const;

 private:
  friend struct BrokerAccess;
  struct Impl;
  explicit Broker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace actormq
