#pragma once
// One entry of the `listeners` array: the struct the broker opens a listener
// from, its key table (listeners.cpp, every key, default and meaning written
// once), the parsing of the array and the rules that span a listener's keys
// (TLS, PSK, WebSocket, HTTP).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace actormq::core {

struct ConfigKeyDoc;  // core/config/config.hpp

/// MQTT over TCP, TLS, WebSocket and WebSocket over TLS; the HTTP API
/// (core/http/) over TCP and TLS.
enum class ListenerType : std::uint8_t { tcp, tls, ws, wss, http, https };
inline constexpr std::array<std::string_view, 6> listener_type_names{"tcp", "tls", "ws", "wss", "http", "https"};

/// Default port of each listener type: 1883, 8883, 8083, 8084, 8081, 8444.
[[nodiscard]] std::int64_t default_port(ListenerType type) noexcept;

/// One listener. Constructed with the defaults of its type.
struct ListenerConfig {
  explicit ListenerConfig(ListenerType listener_type = ListenerType::tcp);

  ListenerType type = ListenerType::tcp;
  std::string bind;                    ///< address to bind
  std::int64_t port = 0;               ///< 1..65535
  std::string path;                    ///< ws/wss: HTTP path of the upgrade request
  std::string certfile;                ///< tls/wss: PEM certificate chain
  std::string keyfile;                 ///< tls/wss: PEM private key
  std::string keyfile_password;        ///< tls/wss/https: password of an encrypted keyfile
  std::string cafile;                  ///< tls/wss: CAs for client certificates
  std::string capath;                  ///< tls/wss: directory of CA certificates, as cafile
  std::string crlfile;                 ///< tls/wss: PEM CRLs of those CAs
  std::string tls_version;             ///< tls/wss: minimum TLS version; "", "tlsv1.2" or (OpenSSL backend) "tlsv1.3"
  bool require_certificate = false;    ///< tls/wss: clients must present a certificate
  bool use_identity_as_username = false;  ///< tls/wss: certificate CN or PSK identity becomes the username
  std::string ciphers;                 ///< tls/wss: cipher suites, ':'-separated; empty: mbedTLS defaults
  std::string psk_hint;                ///< tls/wss: set: PSK cipher suites served, with psk_file's keys
  std::string psk_file;                ///< tls/wss: identity:hexkey lines
  std::optional<bool> allow_anonymous;    ///< unset: the top-level value
  std::optional<std::string> password_file;  ///< unset: the top-level value
  std::optional<std::string> acl_file;       ///< unset: the top-level value
  std::optional<std::string> scram_file;     ///< unset: see Config::scram_file_for
  std::int64_t max_connections = -1;         ///< -1: only the broker-wide limit
  std::int64_t max_connection_rate = 0;      ///< new connections accepted per second; 0: no limit
  std::vector<std::string> allowed_origins;  ///< ws/wss: Origin values accepted; empty: any
  std::vector<std::string> admin_users;      ///< http/https: users of password_file who may change things
  bool metrics_auth = false;                 ///< http/https: /metrics needs a user too

  [[nodiscard]] bool is_tls() const noexcept {
    return type == ListenerType::tls || type == ListenerType::wss || type == ListenerType::https;
  }
  [[nodiscard]] bool is_websocket() const noexcept { return type == ListenerType::ws || type == ListenerType::wss; }
  [[nodiscard]] bool is_http() const noexcept { return type == ListenerType::http || type == ListenerType::https; }
  /// "tcp 127.0.0.1:1883", for logs and reload reports.
  [[nodiscard]] std::string name() const;
  friend bool operator==(const ListenerConfig&, const ListenerConfig&) = default;
};

/// Applies the `listeners` array at `path` to `listeners` (replacing it);
/// the errors name the key ("listeners[1].port: ...").
[[nodiscard]] std::vector<std::string> apply_listeners(const nlohmann::json& value,
                                                       std::vector<ListenerConfig>& listeners,
                                                       const std::string& path);

/// The rules that span one listener's keys (ranges, TLS files, PSK, keys
/// that only some types take); `prefix` starts each message ("listeners[0].").
[[nodiscard]] std::vector<std::string> check_listener(const ListenerConfig& listener, const std::string& prefix);

/// True when two bind addresses may share a port: equal, or either is a
/// wildcard ("", "0.0.0.0", "::").
[[nodiscard]] bool binds_overlap(const std::string& a, const std::string& b);

/// Every key of a listener object, in table order.
[[nodiscard]] std::vector<ConfigKeyDoc> listener_key_docs();

}  // namespace actormq::core
