#pragma once
// The broker configuration: one JSON file (every key in the table in
// core/config/config.cpp, which is also where each default lives; the
// listeners' in core/config/listeners.cpp), with
// command-line overrides applied on top (core/config/cli.hpp). Parsing never
// throws: a bad file yields errors that name the key, e.g.
// "listeners[1].port: must be 1..65535".

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/bridges.hpp"
#include "core/config/listeners.hpp"
#include "core/logger.hpp"
#include "core/result.hpp"

namespace actormq::core {

/// When an acknowledged message is on disk (see DESIGN.md, persistence).
enum class Durability : std::uint8_t {
  none,   ///< memory only
  batch,  ///< group commit; acknowledged before the commit
  sync,   ///< PUBACK/PUBREC only after the commit is on disk
};
inline constexpr std::array<std::string_view, 3> durability_names{"none", "batch", "sync"};

/// How a shared subscription group picks its member for a message. Same
/// enumerators, in the same order, as the router's SharedStrategy.
enum class SharedSubscriptionStrategy : std::uint8_t { round_robin, random, hash_clientid };
inline constexpr std::array<std::string_view, 3> shared_subscription_strategy_names{"round_robin", "random",
                                                                                   "hash_clientid"};

/// TLS of the node links (cluster.tls). A node link authenticates both
/// ends, so all three files are required.
struct ClusterTlsConfig {
  std::string certfile;  ///< PEM certificate chain this node presents
  std::string keyfile;   ///< PEM private key of certfile
  std::string cafile;    ///< PEM CAs a peer node's certificate must chain to
  friend bool operator==(const ClusterTlsConfig&, const ClusterTlsConfig&) = default;
};

/// This node in a cluster (the `cluster` object). Constructed with the
/// defaults of the cluster key table; the node link (bridge/dist/) and the
/// cluster broker (bridge/cluster/) run on it.
struct ClusterConfig {
  ClusterConfig();

  std::string node_name;                   ///< required; valid_node_name() (core/config/cluster.hpp)
  std::optional<std::int64_t> node_id;     ///< 1..65535, Pid::node() of this node's processes; unset: derived
  std::string bind;                        ///< address the node link listens on
  std::int64_t port = 0;                   ///< 1..65535
  std::vector<std::string> seeds;          ///< "host:port" of nodes to connect to (parse_seed)
  std::optional<std::string> cookie_file;  ///< exactly one of cookie_file and cookie
  std::optional<std::string> cookie;       ///< inline cookie
  std::optional<ClusterTlsConfig> tls;     ///< unset: links authenticated by the cookie, not encrypted
  std::int64_t heartbeat_ms = 0;           ///< a tick on an idle link this often, milliseconds
  std::int64_t node_down_after_ms = 0;     ///< a link silent this long is down, milliseconds

  /// node_id, or derived_node_id(node_name) when it is unset.
  [[nodiscard]] std::uint16_t resolved_node_id() const noexcept;
  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

/// The whole configuration. A default-constructed Config holds the defaults
/// of the key table: one tcp listener on 127.0.0.1:1883.
/// Integers are int64 so that every range check happens here; each field's
/// range is in the key table and validate_config() enforces it.
struct Config {
  Config();

  std::vector<ListenerConfig> listeners;

  // Authentication and authorization (a listener may override each; see the *_for functions).
  bool allow_anonymous = false;
  std::string password_file;  ///< mosquitto_passwd format; empty: none
  std::string acl_file;       ///< mosquitto ACL syntax; empty: everything allowed
  std::string scram_file;     ///< SCRAM-SHA-256 users (core/auth/scram.hpp); empty: no SCRAM

  // Persistence.
  std::string data_dir;
  Durability durability = Durability::batch;
  std::int64_t commit_interval_ms = 0;  ///< group commit: at most this long between commits
  std::int64_t commit_max_ops = 0;      ///< group commit: commit after this many writes

  // Limits, bytes or counts as named.
  std::int64_t max_packet_size = 0;
  std::int64_t max_inflight_messages = 0;
  std::int64_t max_queued_messages = 0;
  std::int64_t max_queued_bytes = 0;  ///< unsent bytes per session (core/session/deliver.cpp)
  bool queue_qos0 = false;
  std::int64_t max_connections = 0;  ///< -1: unlimited
  std::int64_t connect_timeout_ms = 0;
  std::int64_t max_topic_levels = 0;
  std::int64_t max_subscriptions_per_client = 0;  ///< 0: unlimited
  std::int64_t max_publish_rate = 0;        ///< PUBLISH packets per second per client; 0: unlimited
  std::int64_t max_publish_bytes_rate = 0;  ///< PUBLISH bytes per second per client; 0: unlimited

  // MQTT 5 features and limits announced in CONNACK.
  std::int64_t max_topic_alias = 0;
  std::int64_t receive_maximum = 0;
  std::int64_t max_keepalive = 0;       ///< seconds
  std::int64_t server_keep_alive = 0;   ///< seconds; 0: keep the client's value
  std::int64_t session_expiry_max = 0;  ///< seconds
  std::int64_t message_expiry_max = 0;  ///< seconds; 0: no cap
  bool retain_available = false;
  bool wildcard_subscription_available = false;
  bool shared_subscription_available = false;
  bool subscription_identifiers_available = false;
  SharedSubscriptionStrategy shared_subscription_strategy = SharedSubscriptionStrategy::round_robin;
  std::string server_reference;  ///< v5 redirection target; empty: none
  std::string response_information;  ///< v5 CONNACK Response Information (%c: client id); empty: none

  // Runtime.
  std::int64_t schedulers = 0;        ///< 0: one per core
  std::int64_t reduction_budget = 0;
  std::int64_t router_pool_size = 0;  ///< 0: one per scheduler
  std::int64_t tls_handshake_threads = 0;  ///< mbedTLS listeners' handshake workers; 0: one per core

  // Operations.
  std::int64_t sys_interval = 0;  ///< seconds; 0: no $SYS topics
  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::text;
  std::string log_file;  ///< empty: stderr
  std::string pid_file;  ///< the serving process's id, kept through upgrades; empty: none
  std::int64_t upgrade_drain_rate = 0;  ///< clients disconnected a second by an upgrade; 0: all at once
  std::string upgrade_server_reference;  ///< v5 clients drained by an upgrade go there (0x9C); empty: 0x8B

  // Distribution.
  std::optional<ClusterConfig> cluster;  ///< unset: a single node
  std::vector<BridgeConfig> bridges;     ///< MQTT bridges to other brokers (core/config/bridges.hpp)

  /// The settings in force on `listener`: its own override, else the
  /// top-level value. An http/https listener inherits no file: its users
  /// are operators, not devices, and it has no ACL or SCRAM.
  [[nodiscard]] bool allow_anonymous_for(const ListenerConfig& listener) const noexcept;
  [[nodiscard]] const std::string& password_file_for(const ListenerConfig& listener) const noexcept;
  [[nodiscard]] const std::string& acl_file_for(const ListenerConfig& listener) const noexcept;
  /// Its own scram_file; unset, the top-level one only if the listener sets
  /// no authentication of its own (allow_anonymous, password_file,
  /// use_identity_as_username): SCRAM users are a way in, and a file the
  /// listener does not name must not widen the rules it does.
  [[nodiscard]] const std::string& scram_file_for(const ListenerConfig& listener) const noexcept;
};

/// Parses a configuration document (JSON; // and /* */ comments allowed).
/// Keys absent from the document keep their defaults. A bad document fails
/// with every error found in it, one message each, key first.
[[nodiscard]] Result<Config> parse_config(std::string_view json_text);

/// Reads and parses the file at `path`; each message then starts with "path: ".
[[nodiscard]] Result<Config> load_config(const std::string& path);

/// Checks the rules that span keys (listener ports unique, TLS files
/// present, ...) and every range, for a Config built or changed in code.
/// Fails with every error found, one message each.
[[nodiscard]] Status validate_config(const Config& config);

/// Documentation of one key, for the README and `--help`-style listings.
struct ConfigKeyDoc {
  std::string_view name;
  std::string type;                ///< e.g. "integer 1..65535", "one of none, batch, sync"
  std::string_view default_value;  ///< as JSON, or a sentence when it depends on other keys
  std::string_view description;
};

/// Every top-level key, in table order.
[[nodiscard]] std::vector<ConfigKeyDoc> config_key_docs();
/// Every key of the cluster object, in table order.
[[nodiscard]] std::vector<ConfigKeyDoc> cluster_key_docs();
/// Every key of the cluster's tls object, in table order.
[[nodiscard]] std::vector<ConfigKeyDoc> cluster_tls_key_docs();

}  // namespace actormq::core
