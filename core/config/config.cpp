#include "core/config/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <stdexcept>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/config/cluster.hpp"
#include "core/config/rules.hpp"

namespace actormq::core {
namespace {

using namespace config_rules;

// ---- The key tables: the one place each key, default and meaning is written. ----

std::span<const KeySpec<ClusterTlsConfig>> cluster_tls_table() {
  using T = ClusterTlsConfig;
  static const std::vector<KeySpec<T>> table = {
      {"certfile", "", "required", "PEM certificate chain this node presents to the other nodes.",
       string(&T::certfile)},
      {"keyfile", "", "required", "PEM private key of certfile.", string(&T::keyfile)},
      {"cafile", "", "required", "PEM CA certificates the other nodes' certificates must chain to.",
       string(&T::cafile)},
  };
  return table;
}

std::span<const KeySpec<ClusterConfig>> cluster_table() {
  using K = ClusterConfig;
  static const std::vector<KeySpec<K>> table = {
      {"node_name", "", "required",
       "This node's name, unique in the cluster: 1..255 letters, digits, '.', '_', '-' or '@' (e.g. "
       "\"actormq@host1\").",
       string(&K::node_name, false)},
      {"node_id", "", "derived from node_name",
       "This node's number in process ids (0 is a single node's). Unset: 1 + FNV-1a-32(node_name) mod 65535; "
       "two nodes whose names give the same number cannot link (\"node name or id in use\"): set node_id on one.",
       OptIntRule<K>{&K::node_id, 1, 65535}},
      {"bind", "\"0.0.0.0\"", "", "Address the node link listens on.", string(&K::bind, false)},
      {"port", "4370", "", "TCP port the node link listens on.", integer(&K::port, 1, 65535)},
      {"seeds", "[]", "",
       "Nodes to connect to, \"host:port\" (an IPv4 address, a host name, or [IPv6]:port). May list this "
       "node itself (it is ignored), so that every node can share one list.",
       StringListRule<K>{&K::seeds}},
      {"cookie_file", "", "unset; one of cookie_file and cookie is required",
       "File holding the cluster's shared secret, one line (a final newline is ignored); read at start and "
       "refused if group or others may access it (chmod 600).",
       OptStringRule<K>{&K::cookie_file}},
      {"cookie", "", "unset",
       "The shared secret itself, instead of cookie_file: 1..255 bytes, one line. Nodes link only if their "
       "cookies are the same.",
       OptStringRule<K>{&K::cookie}},
      {"tls", "null", "",
       "TLS of the node links: an object of certfile, keyfile and cafile, all required (both ends "
       "authenticate). null: links authenticated by the cookie, not encrypted.",
       CustomRule<K>{"object or null", apply_optional_object<K, ClusterTlsConfig, &K::tls, cluster_tls_table>}},
      {"heartbeat_ms", "1000", "", "A node link idle this long sends a tick, milliseconds.",
       integer(&K::heartbeat_ms, 10, 3600000)},
      {"node_down_after_ms", "5000", "",
       "A node link silent this long is down (monitors and links of its processes fire), milliseconds; "
       "more than heartbeat_ms.",
       integer(&K::node_down_after_ms, 11, 86400000)},
  };
  return table;
}

std::span<const KeySpec<Config>> config_table() {
  using C = Config;
  static const std::vector<KeySpec<C>> table = {
      {"listeners", R"([{"type": "tcp", "bind": "127.0.0.1", "port": 1883}])", "",
       "Where clients connect; see the listener keys.", CustomRule<C>{"array of listeners", [](const Json& v, C& c, const std::string& path) {
                       return apply_listeners(v, c.listeners, path);
                     }}},
      {"allow_anonymous", "true", "", "Accept clients that send no username.", boolean(&C::allow_anonymous)},
      {"password_file", "\"\"", "", "mosquitto_passwd file of users; empty: no password check.",
       string(&C::password_file)},
      {"acl_file", "\"\"", "", "mosquitto ACL file; empty: every client may publish and subscribe anywhere.",
       string(&C::acl_file)},
      {"scram_file", "\"\"", "",
       "SCRAM-SHA-256 users for MQTT 5 enhanced authentication (scripts/scram_passwd.py); empty: none. "
       "Listeners with authentication of their own do not inherit it (see the listener key).",
       string(&C::scram_file)},
      {"data_dir", "\"data\"", "", "Directory of the LMDB store (created if missing); \"none\": memory only.",
       string(&C::data_dir, false)},
      {"durability", "\"batch\"", "",
       "none: memory only; batch: group commit, acknowledged before it; sync: PUBACK/PUBREC after the commit.",
       EnumRule<C>{durability_names, [](C& c, std::size_t i) { c.durability = static_cast<Durability>(i); }}},
      {"commit_interval_ms", "50", "", "Group commit: longest wait between a write and its commit, milliseconds.",
       integer(&C::commit_interval_ms, 1, 60000)},
      {"commit_max_ops", "1000", "", "Group commit: commit at once after this many writes.",
       integer(&C::commit_max_ops, 1, 1000000)},
      {"max_packet_size", "2097152", "", "Largest MQTT packet accepted or sent, bytes (v5 Maximum Packet Size).",
       integer(&C::max_packet_size, 64, 268435460)},
      {"max_inflight_messages", "20", "", "Outgoing QoS 1/2 messages unacknowledged per session.",
       integer(&C::max_inflight_messages, 1, 65535)},
      {"max_queued_messages", "1000", "",
       "Messages queued per session beyond the in-flight window; when full, the oldest QoS 0 goes first.",
       integer(&C::max_queued_messages, 1, int32_max)},
      {"max_queued_bytes", "8388608", "",
       "Bytes of messages a session holds for its client that the socket has not taken; over it, QoS 0 "
       "messages are dropped and QoS 1/2 wait in the queue and slow their publishers down.",
       integer(&C::max_queued_bytes, 1024, int32_max)},
      {"queue_qos0", "false", "", "Also queue QoS 0 messages for offline persistent sessions.",
       boolean(&C::queue_qos0)},
      {"max_connections", "-1", "", "Open client connections broker-wide; -1: unlimited.",
       integer(&C::max_connections, -1, int32_max)},
      {"connect_timeout_ms", "10000", "", "A new connection must send CONNECT within this, milliseconds.",
       integer(&C::connect_timeout_ms, 100, 3600000)},
      {"max_topic_levels", "128", "", "Most levels in a topic name or filter.",
       integer(&C::max_topic_levels, 1, 65535)},
      {"max_subscriptions_per_client", "0", "", "Subscriptions one session may hold; 0: unlimited.",
       integer(&C::max_subscriptions_per_client, 0, int32_max)},
      {"max_publish_rate", "0", "",
       "PUBLISH packets per second one client may send (burst: one second's worth); 0: unlimited.",
       integer(&C::max_publish_rate, 0, int32_max)},
      {"max_publish_bytes_rate", "0", "",
       "PUBLISH bytes per second one client may send (burst: one second's worth); 0: unlimited.",
       integer(&C::max_publish_bytes_rate, 0, int32_max)},
      {"max_topic_alias", "10", "", "v5 Topic Alias Maximum accepted from clients; 0: no aliases.",
       integer(&C::max_topic_alias, 0, 65535)},
      {"receive_maximum", "1024", "", "v5 Receive Maximum: incoming QoS 1/2 publishes unacknowledged per client.",
       integer(&C::receive_maximum, 1, 65535)},
      {"max_keepalive", "65535", "",
       "Longest keep alive granted, seconds; a v5 client asking for more (or 0) gets Server Keep Alive.",
       integer(&C::max_keepalive, 1, 65535)},
      {"server_keep_alive", "0", "", "v5: keep alive imposed on every client, seconds; 0: the client's own.",
       integer(&C::server_keep_alive, 0, 65535)},
      {"session_expiry_max", "4294967295", "",
       "Longest session expiry granted, seconds; 4294967295: sessions may never expire.",
       integer(&C::session_expiry_max, 0, uint32_max)},
      {"message_expiry_max", "0", "", "Longest life of a stored message, seconds; 0: no cap.",
       integer(&C::message_expiry_max, 0, uint32_max)},
      {"retain_available", "true", "", "Accept retained messages (v5 Retain Available).",
       boolean(&C::retain_available)},
      {"wildcard_subscription_available", "true", "", "Accept filters with + and # (v5).",
       boolean(&C::wildcard_subscription_available)},
      {"shared_subscription_available", "true", "", "Accept $share/{group}/{filter} subscriptions (v5).",
       boolean(&C::shared_subscription_available)},
      {"subscription_identifiers_available", "true", "", "Accept v5 Subscription Identifiers.",
       boolean(&C::subscription_identifiers_available)},
      {"shared_subscription_strategy", "\"round_robin\"", "", "Which member of a shared group gets each message.",
       EnumRule<C>{shared_subscription_strategy_names,
                   [](C& c, std::size_t i) {
                     c.shared_subscription_strategy = static_cast<SharedSubscriptionStrategy>(i);
                   }}},
      {"server_reference", "\"\"", "", "v5: another server for clients to use, sent in CONNACK/DISCONNECT; empty: none.",
       string(&C::server_reference)},
      {"response_information", "\"\"", "",
       "v5: Response Information for clients that request it (CONNECT Request Response Information = 1), "
       "the base of their response topics; %c becomes the client id. Empty: none sent.",
       string(&C::response_information)},
      {"schedulers", "0", "", "Scheduler threads; 0: one per CPU core.", integer(&C::schedulers, 0, 1024)},
      {"reduction_budget", "2000", "", "Work a process may do before it yields its scheduler.",
       integer(&C::reduction_budget, 1, 1000000)},
      {"router_pool_size", "0", "", "Router processes; 0: one per scheduler.", integer(&C::router_pool_size, 0, 1024)},
      {"tls_handshake_threads", "0", "",
       "Threads that run the costly steps of TLS listeners' handshakes (ECDSA/RSA signature, key exchange), "
       "so that a reconnect storm does not hold the scheduler threads; 0: one per CPU core. mbedTLS builds "
       "only (the OpenSSL backend's handshakes are cheap enough to stay on the schedulers).",
       integer(&C::tls_handshake_threads, 0, 1024)},
      {"sys_interval", "10", "", "Seconds between $SYS/broker/... updates; 0: no $SYS topics.",
       integer(&C::sys_interval, 0, 86400)},
      {"log_level", "\"info\"", "", "Most verbose level written (-v sets debug).",
       EnumRule<C>{log_level_names, [](C& c, std::size_t i) { c.log_level = static_cast<LogLevel>(i); }}},
      {"log_format", "\"text\"", "",
       "text: \"<time> <level>: <message>\" lines; json: one JSON object per line with time, level and message.",
       EnumRule<C>{log_format_names, [](C& c, std::size_t i) { c.log_format = static_cast<LogFormat>(i); }}},
      {"log_file", "\"\"", "", "File the log is appended to; empty: stderr.", string(&C::log_file)},
      {"pid_file", "\"\"", "",
       "File holding the serving process's id, written at start (to a temporary file renamed over it) and "
       "by the new process of an upgrade once it serves; removed at a stop. Empty: none.",
       string(&C::pid_file)},
      {"upgrade_drain_rate", "0", "",
       "Upgrade (SIGUSR2): clients disconnected a second by the old process, so that they come back to the "
       "new one as a stream; 0: all at once.",
       integer(&C::upgrade_drain_rate, 0, 1000000)},
      {"upgrade_server_reference", "\"\"", "",
       "Upgrade (SIGUSR2): MQTT 5 clients the old process disconnects get DISCONNECT 0x9C (use another server) "
       "with this Server Reference, such as \"host:port\" of a standby, instead of 0x8B. Empty: 0x8B.",
       string(&C::upgrade_server_reference)},
      {"cluster", "null", "",
       "This node in a cluster of brokers (one MQTT service over many nodes); see the cluster keys. null: a "
       "single node.",
       CustomRule<C>{"object or null", apply_optional_object<C, ClusterConfig, &C::cluster, cluster_table>}},
      {"bridges", "[]", "", "MQTT bridges to other brokers; see the bridge keys.",
       CustomRule<C>{"array of bridges",
                     [](const Json& v, C& c, const std::string& path) { return apply_bridges(v, c.bridges, path); }}},
  };
  return table;
}

Errors check_cluster_tls(const ClusterTlsConfig& tls) {
  Errors errors;
  const std::pair<const char*, bool> files[] = {
      {"certfile", tls.certfile.empty()}, {"keyfile", tls.keyfile.empty()}, {"cafile", tls.cafile.empty()}};
  for (const auto& [key, missing] : files) {
    if (missing) {
      errors.push_back(std::string("cluster.tls.") + key +
                       ": required: node links authenticate both ends (certfile, keyfile and cafile)");
    }
  }
  return errors;
}

Errors check_cluster(const ClusterConfig& c) {
  Errors errors = check_ranges(c, cluster_table(), "cluster.");
  if (!c.node_name.empty() && !valid_node_name(c.node_name)) {
    errors.push_back("cluster.node_name: must be 1..255 letters, digits, '.', '_', '-' or '@'");
  }
  for (std::size_t i = 0; i < c.seeds.size(); ++i) {
    if (auto seed = parse_seed(c.seeds[i]); !seed) {
      errors.push_back("cluster.seeds[" + std::to_string(i) + "]: " + seed.error().text());
    }
  }
  if (c.cookie_file && c.cookie) {
    errors.push_back("cluster: cookie_file and cookie are both set; keep one");
  } else if (!c.cookie_file && !c.cookie) {
    errors.push_back("cluster: cookie_file or cookie is required (the cluster's shared secret)");
  }
  if (c.cookie_file && c.cookie_file->empty()) {
    errors.push_back("cluster.cookie_file: must not be empty");
  }
  if (c.cookie) {
    if (auto checked = check_cookie(*c.cookie); !checked) {
      errors.push_back("cluster.cookie: " + checked.error().text());
    }
  }
  if (c.node_down_after_ms <= c.heartbeat_ms) {
    errors.push_back("cluster.node_down_after_ms: must be more than heartbeat_ms (" +
                     std::to_string(c.heartbeat_ms) + ")");
  }
  if (c.tls) {
    append(errors, check_cluster_tls(*c.tls));
  }
  return errors;
}

}  // namespace

Config::Config() { apply_defaults(*this, config_table()); }

ClusterConfig::ClusterConfig() { apply_defaults(*this, cluster_table()); }

std::uint16_t ClusterConfig::resolved_node_id() const noexcept {
  return node_id ? static_cast<std::uint16_t>(*node_id) : derived_node_id(node_name);
}

bool Config::allow_anonymous_for(const ListenerConfig& listener) const noexcept {
  return listener.allow_anonymous.value_or(allow_anonymous);
}

namespace {
const std::string no_file;
}  // namespace

const std::string& Config::password_file_for(const ListenerConfig& listener) const noexcept {
  if (listener.is_http()) {
    return listener.password_file ? *listener.password_file : no_file;
  }
  return listener.password_file ? *listener.password_file : password_file;
}

const std::string& Config::acl_file_for(const ListenerConfig& listener) const noexcept {
  if (listener.is_http()) {
    return no_file;
  }
  return listener.acl_file ? *listener.acl_file : acl_file;
}

const std::string& Config::scram_file_for(const ListenerConfig& listener) const noexcept {
  static const std::string none;
  if (listener.is_http()) {
    return none;
  }
  if (listener.scram_file) {
    return *listener.scram_file;
  }
  bool own_authentication =
      listener.allow_anonymous || listener.password_file || listener.use_identity_as_username;
  return own_authentication ? none : scram_file;
}

Status validate_config(const Config& config) {
  Errors errors = check_ranges(config, config_table(), "");
  if (config.listeners.empty()) {
    errors.push_back("listeners: must contain at least one listener");
  }
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    const auto& l = config.listeners[i];
    const std::string p = "listeners[" + std::to_string(i) + "].";
    append(errors, check_listener(l, p));
    for (std::size_t j = 0; j < i; ++j) {
      const auto& earlier = config.listeners[j];
      if (earlier.port == l.port && binds_overlap(earlier.bind, l.bind)) {
        errors.push_back(p + "port: " + std::to_string(l.port) + " is already used by listeners[" +
                         std::to_string(j) + "]");
        break;
      }
    }
  }
  if (config.cluster) {
    append(errors, check_cluster(*config.cluster));
    for (std::size_t j = 0; j < config.listeners.size(); ++j) {
      const auto& l = config.listeners[j];
      if (l.port == config.cluster->port && binds_overlap(l.bind, config.cluster->bind)) {
        errors.push_back("cluster.port: " + std::to_string(l.port) + " is already used by listeners[" +
                         std::to_string(j) + "]");
        break;
      }
    }
  }
  append(errors, check_bridges(config.bridges));
  if (config.server_keep_alive > config.max_keepalive) {
    errors.push_back("server_keep_alive: must not exceed max_keepalive (" + std::to_string(config.max_keepalive) +
                     ")");
  }
  if (!errors.empty()) {
    return Failure{std::move(errors)};
  }
  return mqtt::Ok{};
}

Result<Config> parse_config(std::string_view json_text) {
  Json document;
  try {
    document = Json::parse(json_text.begin(), json_text.end(), nullptr, true, /*ignore_comments=*/true);
  } catch (const Json::exception& e) {
    // parse_error, and out_of_range for a number beyond a double (1e400).
    return Failure{std::string("config: invalid JSON: ") + e.what()};
  }
  if (!document.is_object()) {
    return Failure{"config: the top level must be a JSON object"};
  }
  Config config;
  Errors errors = apply_object(document, config, config_table(), "");
  if (!errors.empty()) {
    return Failure{std::move(errors)};
  }
  ACTORMQ_CHECK(validate_config(config));
  return config;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Failure{"config: cannot read " + path + ": " + std::strerror(errno)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Failure{"config: cannot read " + path};
  }
  Result<Config> result = parse_config(text.str());
  if (result.ok()) {
    return result;
  }
  return std::move(result).error().prefixed(path + ": ");
}

std::vector<ConfigKeyDoc> config_key_docs() { return docs_of(config_table()); }
std::vector<ConfigKeyDoc> cluster_key_docs() { return docs_of(cluster_table()); }
std::vector<ConfigKeyDoc> cluster_tls_key_docs() { return docs_of(cluster_tls_table()); }

}  // namespace actormq::core
