#pragma once
// The `bridges` array: MQTT bridges to other brokers (bridge/mqtt), with
// mosquitto's semantics in JSON. The structs here are what bridge/mqtt
// reads; the key tables, their parsing and checks are in bridges.cpp, so
// every key, default and meaning is written once.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace actormq::core {

struct ConfigKeyDoc;  // core/config/config.hpp

/// Which way a bridge topic carries messages: `out` local to remote, `in`
/// remote to local, `both` both (mosquitto's `topic` directions).
enum class BridgeDirection : std::uint8_t { in, out, both };
inline constexpr std::array<std::string_view, 3> bridge_direction_names{"in", "out", "both"};

/// The MQTT version a bridge speaks to its remote.
enum class BridgeProtocol : std::uint8_t { mqttv311, mqttv5 };
inline constexpr std::array<std::string_view, 2> bridge_protocol_names{"mqttv311", "mqttv5"};

/// One `topics` entry: local topic = local_prefix + pattern, remote topic =
/// remote_prefix + pattern (mosquitto's `topic pattern dir qos lp rp`).
struct BridgeTopicConfig {
  BridgeTopicConfig();

  std::string pattern;  ///< a topic filter; may be empty when both prefixes are not
  BridgeDirection direction = BridgeDirection::out;
  std::int64_t qos = 0;        ///< 0..2: subscription QoS and cap of the forwarded messages
  std::string local_prefix;   ///< no wildcards
  std::string remote_prefix;  ///< no wildcards

  [[nodiscard]] std::string local_filter() const { return local_prefix + pattern; }
  [[nodiscard]] std::string remote_filter() const { return remote_prefix + pattern; }
  [[nodiscard]] bool outward() const noexcept { return direction != BridgeDirection::in; }
  [[nodiscard]] bool inward() const noexcept { return direction != BridgeDirection::out; }
  friend bool operator==(const BridgeTopicConfig&, const BridgeTopicConfig&) = default;
};

/// TLS to the remote broker (the bridge is the TLS client).
struct BridgeTlsConfig {
  BridgeTlsConfig();

  std::string cafile;    ///< CAs the remote's certificate must chain to; required unless insecure
  std::string certfile;  ///< client certificate, with keyfile, or neither
  std::string keyfile;
  std::string keyfile_password;  ///< of an encrypted keyfile; empty: ACTORMQ_KEYFILE_PASSWORD if set
  std::string crlfile;    ///< PEM CRLs of cafile's CAs: a remote certificate they list is refused
  std::string psk;        ///< pre-shared key, hexadecimal; with psk_identity instead of certificates
  std::string psk_identity;
  bool insecure = false;  ///< no verification of the remote at all
  friend bool operator==(const BridgeTlsConfig&, const BridgeTlsConfig&) = default;
};

/// Reconnect backoff: base doubled per failed attempt up to cap, jittered.
struct BridgeRestartConfig {
  BridgeRestartConfig();

  std::int64_t base = 0;  ///< milliseconds
  std::int64_t cap = 0;   ///< milliseconds; at least base
  friend bool operator==(const BridgeRestartConfig&, const BridgeRestartConfig&) = default;
};

/// One bridge. Constructed with the defaults of the bridge key table.
struct BridgeConfig {
  BridgeConfig();

  std::string name;                    ///< required; unique; valid_node_name() characters
  std::string address;                 ///< "host:port" (core/config/cluster.hpp parse_seed); the primary
  std::vector<std::string> addresses;  ///< fallbacks, tried in order after address
  BridgeProtocol protocol_version = BridgeProtocol::mqttv311;
  std::string client_id;  ///< empty: the bridge's name
  std::string username;   ///< empty: none sent
  std::string password;   ///< empty: none sent
  bool clean_start = false;
  std::int64_t keepalive = 0;  ///< seconds; 0: no keep alive
  bool try_private = true;     ///< mark the connection as a bridge (3.1.1: protocol level | 0x80)
  bool notifications = true;   ///< $SYS/broker/connection/<name>/state, both sides
  std::vector<BridgeTopicConfig> topics;
  std::optional<BridgeTlsConfig> tls;  ///< unset: plain TCP
  BridgeRestartConfig restart_timeout_ms;
  std::int64_t max_buffered_bytes = 0;  ///< messages held for the remote, bytes
  std::int64_t max_inflight = 0;        ///< QoS 1/2 messages sent and not yet acknowledged, at most

  /// address, then the fallbacks: the order they are dialled in.
  [[nodiscard]] std::vector<std::string> endpoints() const;
  /// client_id, or the name when it is empty.
  [[nodiscard]] const std::string& remote_client_id() const noexcept { return client_id.empty() ? name : client_id; }
  /// The topic of the state notifications, on both sides.
  [[nodiscard]] std::string state_topic() const { return "$SYS/broker/connection/" + name + "/state"; }
  /// Every setting equal (a reload keeps such a bridge as it runs).
  friend bool operator==(const BridgeConfig&, const BridgeConfig&) = default;
};

/// Applies the `bridges` array at `path` to `bridges` (replacing it); the
/// errors name the key ("bridges[0].topics[1].direction: ...").
[[nodiscard]] std::vector<std::string> apply_bridges(const nlohmann::json& value, std::vector<BridgeConfig>& bridges,
                                                     const std::string& path);

/// The rules that span keys (names unique, addresses, topic filters, TLS
/// files, backoff), for parsed bridges and bridges built in code alike.
[[nodiscard]] std::vector<std::string> check_bridges(const std::vector<BridgeConfig>& bridges);

/// Every key of a bridge object, of its topic objects, its tls object and
/// its restart_timeout_ms object, in table order.
[[nodiscard]] std::vector<ConfigKeyDoc> bridge_key_docs();
[[nodiscard]] std::vector<ConfigKeyDoc> bridge_topic_key_docs();
[[nodiscard]] std::vector<ConfigKeyDoc> bridge_tls_key_docs();
[[nodiscard]] std::vector<ConfigKeyDoc> bridge_restart_key_docs();

}  // namespace actormq::core
