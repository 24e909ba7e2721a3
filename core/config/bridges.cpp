#include "core/config/bridges.hpp"

#include <set>

#include "core/config/cluster.hpp"
#include "core/config/config.hpp"
#include "core/config/rules.hpp"
#include "mqtt/topic.hpp"

namespace actormq::core {
namespace {

using namespace config_rules;

// ---- The key tables ----

std::span<const KeySpec<BridgeTopicConfig>> topic_table() {
  using T = BridgeTopicConfig;
  static const std::vector<KeySpec<T>> table = {
      {"pattern", "", "required",
       "Topic filter, + and # allowed; \"\" when both prefixes are set (the prefixes are then the topics).",
       string(&T::pattern)},
      {"direction", "\"out\"", "", "out: local to remote; in: remote to local; both: both ways.",
       EnumRule<T>{bridge_direction_names,
                   [](T& t, std::size_t i) { t.direction = static_cast<BridgeDirection>(i); }}},
      {"qos", "0", "", "QoS of the bridge's subscriptions, and the most a forwarded message keeps.",
       integer(&T::qos, 0, 2)},
      {"local_prefix", "\"\"", "", "Prefix of the local topics (local topic = local_prefix + pattern); no wildcards.",
       string(&T::local_prefix)},
      {"remote_prefix", "\"\"", "",
       "Prefix of the remote topics (remote topic = remote_prefix + pattern); no wildcards.",
       string(&T::remote_prefix)},
  };
  return table;
}

std::span<const KeySpec<BridgeTlsConfig>> tls_table() {
  using T = BridgeTlsConfig;
  static const std::vector<KeySpec<T>> table = {
      {"cafile", "\"\"", "required unless insecure",
       "PEM CA certificates the remote's certificate must chain to; the certificate must also name the host "
       "or IP address dialled.",
       string(&T::cafile)},
      {"certfile", "\"\"", "", "PEM client certificate presented to the remote (with keyfile); empty: none.",
       string(&T::certfile)},
      {"keyfile", "\"\"", "", "PEM private key of certfile.", string(&T::keyfile)},
      {"keyfile_password", "\"\"", "",
       "Password of an encrypted keyfile (traditional PEM encryption); empty: the environment variable "
       "ACTORMQ_KEYFILE_PASSWORD if set, as for listeners. Never logged.",
       string(&T::keyfile_password)},
      {"crlfile", "\"\"", "",
       "PEM certificate revocation lists of cafile's CAs: a remote certificate they list is refused at the "
       "handshake (needs cafile).",
       string(&T::crlfile)},
      {"psk", "\"\"", "",
       "Pre-shared key in hexadecimal (1..32 bytes), with psk_identity, as mosquitto's bridge_psk: only the PSK "
       "cipher suites are offered and the key authenticates both ends; not with cafile, certfile, crlfile or "
       "insecure.",
       string(&T::psk)},
      {"psk_identity", "\"\"", "", "The identity sent with psk (mosquitto's bridge_identity).",
       string(&T::psk_identity)},
      {"insecure", "false", "", "Accept any certificate and name from the remote (logged as a warning).",
       boolean(&T::insecure)},
  };
  return table;
}

std::span<const KeySpec<BridgeRestartConfig>> restart_table() {
  using T = BridgeRestartConfig;
  static const std::vector<KeySpec<T>> table = {
      {"base", "500", "", "Wait before the first reconnect, milliseconds; doubled per failed attempt.",
       integer(&T::base, 1, 3600000)},
      {"cap", "30000", "", "Longest wait between reconnects, milliseconds; at least base.",
       integer(&T::cap, 1, 86400000)},
  };
  return table;
}

Errors apply_topics(const Json& value, BridgeConfig& bridge, const std::string& path) {
  if (!value.is_array()) {
    return {path + ": must be an array of topic objects"};
  }
  Errors errors;
  bridge.topics.clear();
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    if (!value[i].is_object()) {
      errors.push_back(item_path + ": must be an object");
      continue;
    }
    if (!value[i].contains("pattern")) {
      errors.push_back(item_path + ".pattern: required");
    }
    BridgeTopicConfig topic;
    append(errors, apply_object(value[i], topic, topic_table(), item_path + "."));
    bridge.topics.push_back(std::move(topic));
  }
  return errors;
}

Errors apply_restart(const Json& value, BridgeConfig& bridge, const std::string& path) {
  if (!value.is_object()) {
    return {path + ": must be an object of base and cap"};
  }
  return apply_object(value, bridge.restart_timeout_ms, restart_table(), path + ".");
}

std::span<const KeySpec<BridgeConfig>> bridge_table() {
  using B = BridgeConfig;
  static const std::vector<KeySpec<B>> table = {
      {"name", "", "required",
       "The bridge's name, unique among the bridges: 1..255 letters, digits, '.', '_', '-' or '@'; names its "
       "state topic $SYS/broker/connection/<name>/state.",
       string(&B::name, false)},
      {"address", "\"\"", "required unless addresses is set",
       "The remote broker, \"host:port\" (an IPv4 address, a host name, or [IPv6]:port); dialled first.",
       string(&B::address)},
      {"addresses", "[]", "", "Fallback remotes, \"host:port\", dialled in order after address.",
       StringListRule<B>{&B::addresses}},
      {"protocol_version", "\"mqttv311\"", "", "MQTT version spoken to the remote.",
       EnumRule<B>{bridge_protocol_names,
                   [](B& b, std::size_t i) { b.protocol_version = static_cast<BridgeProtocol>(i); }}},
      {"client_id", "\"\"", "the bridge's name", "Client identifier in the bridge's CONNECT.",
       string(&B::client_id)},
      {"username", "\"\"", "", "Username in the bridge's CONNECT; empty: none.", string(&B::username)},
      {"password", "\"\"", "", "Password in the bridge's CONNECT; empty: none (3.1.1: needs a username).",
       string(&B::password)},
      {"clean_start", "false", "",
       "Start a new session on the remote at each connect (3.1.1 Clean Session); false resumes it, so "
       "retained messages are not sent again and in-flight ones complete.",
       boolean(&B::clean_start)},
      {"keepalive", "60", "", "Keep alive, seconds: a PINGREQ when idle this long, the remote dead after 1.5 times "
                              "it without a byte; 0: none.",
       integer(&B::keepalive, 0, 65535)},
      {"try_private", "true", "",
       "Tell the remote this is a bridge (mosquitto's flag, protocol level | 0x80, 3.1.1), so it does not send "
       "the bridge's own messages back; v5 bridges subscribe with No Local instead.",
       boolean(&B::try_private)},
      {"notifications", "true", "",
       "Publish retained \"1\"/\"0\" on $SYS/broker/connection/<name>/state locally and on the remote (the "
       "remote's \"0\" by the bridge's will).",
       boolean(&B::notifications)},
      {"topics", "", "required", "What the bridge carries: an array of topic objects (at least one).",
       CustomRule<B>{"array of topic objects", apply_topics}},
      {"tls", "null", "", "TLS to the remote: an object of cafile, certfile, keyfile, insecure. null: plain TCP.",
       CustomRule<B>{"object or null", apply_optional_object<B, BridgeTlsConfig, &B::tls, tls_table>}},
      {"restart_timeout_ms", R"({"base": 500, "cap": 30000})", "",
       "Reconnect backoff: an object of base and cap, milliseconds; the wait doubles per failed attempt, "
       "is jittered, and starts again from base once connected.",
       CustomRule<B>{"object", apply_restart}},
      {"max_buffered_bytes", "1073741824", "",
       "Bytes of messages held for the remote (queued while it is away, or in flight); over it the oldest "
       "are dropped, counted and logged.",
       integer(&B::max_buffered_bytes, 1024, std::int64_t{1} << 50)},
      {"max_inflight", "100", "",
       "QoS 1/2 messages sent to the remote and not yet acknowledged, at most (mosquitto's "
       "max_inflight_messages for its bridges); capped by the remote's Receive Maximum (MQTT 5).",
       integer(&B::max_inflight, 1, 65535)},
  };
  return table;
}

// ---- Checks that span keys ----

void check_prefix(const std::string& prefix, const std::string& p, const char* key, Errors& errors) {
  if (prefix.find_first_of("+#") != std::string::npos) {
    errors.push_back(p + key + ": must not contain + or #");
  }
}

Errors check_topic(const BridgeTopicConfig& t, const std::string& p) {
  Errors errors = check_ranges(t, topic_table(), p);
  check_prefix(t.local_prefix, p, "local_prefix", errors);
  check_prefix(t.remote_prefix, p, "remote_prefix", errors);
  if (t.pattern.empty() && (t.local_prefix.empty() || t.remote_prefix.empty())) {
    errors.push_back(p + "pattern: may be empty only when local_prefix and remote_prefix are both set");
    return errors;
  }
  if (!errors.empty()) {
    return errors;
  }
  for (const std::string& filter : {t.local_filter(), t.remote_filter()}) {
    mqtt::ParsedFilter parsed = mqtt::parse_subscription_filter(filter);
    if (parsed.kind == mqtt::FilterKind::invalid) {
      errors.push_back(p + "pattern: \"" + filter + "\" is not a valid topic filter");
      break;
    }
    if (parsed.kind == mqtt::FilterKind::shared) {
      errors.push_back(p + "pattern: \"" + filter + "\" is a shared subscription, which a bridge cannot be");
      break;
    }
  }
  return errors;
}

Errors check_tls(const BridgeTlsConfig& tls, const std::string& p) {
  Errors errors;
  const bool psk = !tls.psk.empty() || !tls.psk_identity.empty();
  if (psk) {
    if (tls.psk.empty() || tls.psk_identity.empty()) {
      errors.push_back(p + (tls.psk.empty() ? "psk: required with psk_identity" : "psk_identity: required with psk"));
    }
    if (!tls.cafile.empty() || !tls.certfile.empty() || !tls.crlfile.empty() || tls.insecure) {
      // As mosquitto's bridge_psk: the key authenticates the remote.
      errors.push_back(p + "psk: not with cafile, certfile, crlfile or insecure (the key authenticates both ends)");
    }
    return errors;
  }
  if (tls.cafile.empty() && !tls.insecure) {
    errors.push_back(p + "cafile: required (or insecure true, which verifies nothing)");
  }
  if (!tls.crlfile.empty() && tls.cafile.empty()) {
    errors.push_back(p + "crlfile: needs cafile (the CAs whose revocations it lists)");
  }
  if (tls.certfile.empty() != tls.keyfile.empty()) {
    errors.push_back(p + (tls.certfile.empty() ? "certfile" : "keyfile") + ": set both certfile and keyfile, or neither");
  }
  if (!tls.keyfile_password.empty() && tls.keyfile.empty()) {
    errors.push_back(p + "keyfile_password: needs keyfile");
  }
  return errors;
}

Errors check_addresses(const BridgeConfig& b, const std::string& p) {
  Errors errors;
  if (b.address.empty() && b.addresses.empty()) {
    errors.push_back(p + "address: required (or addresses)");
  }
  if (!b.address.empty()) {
    if (auto seed = parse_seed(b.address); !seed) {
      errors.push_back(p + "address: " + seed.error().text());
    }
  }
  for (std::size_t i = 0; i < b.addresses.size(); ++i) {
    if (auto seed = parse_seed(b.addresses[i]); !seed) {
      errors.push_back(p + "addresses[" + std::to_string(i) + "]: " + seed.error().text());
    }
  }
  return errors;
}

Errors check_bridge(const BridgeConfig& b, const std::string& p) {
  Errors errors = check_ranges(b, bridge_table(), p);
  if (!b.name.empty() && !valid_node_name(b.name)) {
    errors.push_back(p + "name: must be 1..255 letters, digits, '.', '_', '-' or '@'");
  }
  append(errors, check_addresses(b, p));
  if (b.client_id.size() > 65535) {
    errors.push_back(p + "client_id: must be at most 65535 bytes");
  }
  if (!b.password.empty() && b.username.empty() && b.protocol_version == BridgeProtocol::mqttv311) {
    // [MQTT-3.1.2-22]: in 3.1.1 a password needs a username.
    errors.push_back(p + "password: needs a username with mqttv311");
  }
  if (b.topics.empty()) {
    errors.push_back(p + "topics: at least one topic object is required");
  }
  for (std::size_t i = 0; i < b.topics.size(); ++i) {
    append(errors, check_topic(b.topics[i], p + "topics[" + std::to_string(i) + "]."));
  }
  if (b.tls) {
    append(errors, check_tls(*b.tls, p + "tls."));
  }
  append(errors, check_ranges(b.restart_timeout_ms, restart_table(), p + "restart_timeout_ms."));
  if (b.restart_timeout_ms.cap < b.restart_timeout_ms.base) {
    errors.push_back(p + "restart_timeout_ms.cap: must be at least base (" +
                     std::to_string(b.restart_timeout_ms.base) + ")");
  }
  return errors;
}

}  // namespace

BridgeTopicConfig::BridgeTopicConfig() { apply_defaults(*this, topic_table()); }
BridgeTlsConfig::BridgeTlsConfig() { apply_defaults(*this, tls_table()); }
BridgeRestartConfig::BridgeRestartConfig() { apply_defaults(*this, restart_table()); }
BridgeConfig::BridgeConfig() { apply_defaults(*this, bridge_table()); }

std::vector<std::string> BridgeConfig::endpoints() const {
  std::vector<std::string> out;
  if (!address.empty()) {
    out.push_back(address);
  }
  out.insert(out.end(), addresses.begin(), addresses.end());
  return out;
}

std::vector<std::string> apply_bridges(const nlohmann::json& value, std::vector<BridgeConfig>& bridges,
                                       const std::string& path) {
  if (!value.is_array()) {
    return {path + ": must be an array of bridge objects"};
  }
  Errors errors;
  std::vector<BridgeConfig> parsed;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    if (!value[i].is_object()) {
      errors.push_back(item_path + ": must be an object");
      continue;
    }
    for (const char* key : {"name", "topics"}) {
      if (!value[i].contains(key)) {
        errors.push_back(item_path + "." + key + ": required");
      }
    }
    BridgeConfig bridge;
    append(errors, apply_object(value[i], bridge, bridge_table(), item_path + "."));
    parsed.push_back(std::move(bridge));
  }
  bridges = std::move(parsed);
  return errors;
}

std::vector<std::string> check_bridges(const std::vector<BridgeConfig>& bridges) {
  Errors errors;
  std::set<std::string> names;
  for (std::size_t i = 0; i < bridges.size(); ++i) {
    const std::string p = "bridges[" + std::to_string(i) + "].";
    append(errors, check_bridge(bridges[i], p));
    if (!bridges[i].name.empty() && !names.insert(bridges[i].name).second) {
      errors.push_back(p + "name: \"" + bridges[i].name + "\" is already the name of another bridge");
    }
  }
  return errors;
}

std::vector<ConfigKeyDoc> bridge_key_docs() { return docs_of(bridge_table()); }
std::vector<ConfigKeyDoc> bridge_topic_key_docs() { return docs_of(topic_table()); }
std::vector<ConfigKeyDoc> bridge_tls_key_docs() { return docs_of(tls_table()); }
std::vector<ConfigKeyDoc> bridge_restart_key_docs() { return docs_of(restart_table()); }

}  // namespace actormq::core
