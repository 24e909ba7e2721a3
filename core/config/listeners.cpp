#include "core/config/listeners.hpp"

#include <limits>
#include <utility>

#include "core/config/config.hpp"
#include "core/config/rules.hpp"
#include "net/tls_context.hpp"

namespace actormq::core {
namespace {

using namespace config_rules;

// ---- The key table ----

std::span<const KeySpec<ListenerConfig>> listener_table() {
  using L = ListenerConfig;
  static const std::vector<KeySpec<L>> table = {
      {"type", "\"tcp\"", "",
       "Transport: tcp, tls (MQTT over TLS), ws (WebSocket), wss (WebSocket over TLS); http, https: the HTTP API "
       "and /metrics.",
       EnumRule<L>{listener_type_names, [](L& l, std::size_t i) { l.type = static_cast<ListenerType>(i); }}},
      {"bind", "\"0.0.0.0\"", "", "Address to listen on; \"0.0.0.0\" is every IPv4 interface.",
       string(&L::bind, false)},
      {"port", "", "1883 (tcp), 8883 (tls), 8083 (ws), 8084 (wss), 8081 (http), 8444 (https)", "TCP port.",
       integer(&L::port, 1, 65535)},
      {"path", "", "\"/mqtt\" (ws, wss)", "ws/wss only: HTTP path of the WebSocket upgrade.", string(&L::path)},
      {"certfile", "\"\"", "",
       "tls/wss/https only, required (tls/wss: unless psk_hint, for a PSK-only listener): PEM server certificate "
       "chain.",
       string(&L::certfile)},
      {"keyfile", "\"\"", "", "tls/wss/https only, required with certfile: PEM private key of certfile.",
       string(&L::keyfile)},
      {"keyfile_password", "\"\"", "",
       "tls/wss/https only: password of an encrypted keyfile (PEM, as openssl writes it with -aes256); \"\": the "
       "environment variable ACTORMQ_KEYFILE_PASSWORD if set. Never logged.",
       string(&L::keyfile_password)},
      {"cafile", "\"\"", "", "tls/wss only: PEM CA certificates that client certificates must chain to.",
       string(&L::cafile)},
      {"capath", "\"\"", "",
       "tls/wss only: a directory of PEM CA certificates that client certificates must chain to, as mosquitto's: "
       "every file in it holding a certificate is read (with or instead of cafile). Reloaded on SIGHUP.",
       string(&L::capath)},
      {"crlfile", "\"\"", "",
       "tls/wss only: PEM certificate revocation lists of those CAs; a client certificate they list is refused "
       "at the handshake (logged with its serial). Reloaded on SIGHUP: a connected client it now lists is "
       "disconnected.",
       string(&L::crlfile)},
      {"require_certificate", "false", "",
       "tls/wss only: refuse clients without a valid certificate (needs cafile or capath); with psk_hint, a PSK "
       "client's key stands for it (PSK suites ask for no certificate).",
       boolean(&L::require_certificate)},
      {"use_identity_as_username", "false", "",
       "tls/wss only: the client certificate's Common Name, or the PSK identity of a PSK client, becomes the "
       "username (needs require_certificate or psk_hint).",
       boolean(&L::use_identity_as_username)},
      {"psk_hint", "\"\"", "",
       "tls/wss only: set, the listener also serves the PSK cipher suites (e.g. TLS-PSK-WITH-AES-128-GCM-SHA256, "
       "TLS-ECDHE-PSK-WITH-AES-128-CBC-SHA256) with the keys of psk_file, alongside certfile's or, without "
       "certfile, instead of them. mbedTLS 2.28 sends clients an empty hint.",
       string(&L::psk_hint)},
      {"psk_file", "\"\"", "",
       "tls/wss only, required with psk_hint: the pre-shared keys, as mosquitto's: one identity:hexkey per line "
       "(keys of 1..32 bytes), blank lines and # comments allowed. Reloaded on SIGHUP.",
       string(&L::psk_file)},
      {"ciphers", "\"\"", "",
       "tls/wss only: cipher suites allowed, mbedTLS or IANA names separated by ':' "
       "(e.g. TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256); empty: mbedTLS's defaults. TLS 1.2 is the minimum version.",
       string(&L::ciphers)},
      {"tls_version", "\"\"", "\"tlsv1.2\"",
       "tls/wss only: the oldest TLS version accepted, as mosquitto's: only \"tlsv1.2\" (mbedTLS 2.28 has no "
       "TLS 1.3 server, and versions before 1.2 are never offered).",
       string(&L::tls_version)},
      {"allow_anonymous", "", "top-level value", "Overrides the top-level allow_anonymous on this listener.",
       OptBoolRule<L>{&L::allow_anonymous}},
      {"password_file", "", "top-level value (http, https: none)",
       "Overrides the top-level password_file on this listener. http/https: the API's users (Basic auth); "
       "without one, only /api/v1/status and /metrics (unless metrics_auth) answer.",
       OptStringRule<L>{&L::password_file}},
      {"acl_file", "", "top-level value", "Overrides the top-level acl_file on this listener.",
       OptStringRule<L>{&L::acl_file}},
      {"scram_file", "",
       "top-level value if the listener sets none of allow_anonymous, password_file, use_identity_as_username; "
       "else \"\"",
       "SCRAM-SHA-256 users of this listener; \"\": no SCRAM here. Not with use_identity_as_username.",
       OptStringRule<L>{&L::scram_file}},
      {"max_connections", "-1", "", "Open connections allowed on this listener; -1: only the broker-wide limit.",
       integer(&L::max_connections, -1, int32_max)},
      {"max_connection_rate", "0", "",
       "New connections accepted per second on this listener (a burst of one second's worth); "
       "over it, connections are closed at once. 0: no limit.",
       integer(&L::max_connection_rate, 0, int32_max)},
      {"allowed_origins", "[]", "",
       "ws/wss only: browser Origin values accepted in the upgrade (e.g. \"https://app.example\"); "
       "others get HTTP 403. A request without Origin (not a browser) is accepted. Empty: any origin.",
       StringListRule<L>{&L::allowed_origins}},
      {"admin_users", "[]", "",
       "http/https only: users of password_file who may change things (POST, DELETE); the others may only read "
       "(HTTP 403).",
       StringListRule<L>{&L::admin_users}},
      {"metrics_auth", "false", "", "http/https only: /metrics needs a user of password_file too.",
       boolean(&L::metrics_auth)},
  };
  return table;
}

}  // namespace

Errors apply_listeners(const Json& value, std::vector<ListenerConfig>& listeners_out, const std::string& path) {
  if (!value.is_array()) {
    return {path + ": must be an array of listener objects"};
  }
  Errors errors;
  std::vector<ListenerConfig> listeners;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    const Json& item = value[i];
    if (!item.is_object()) {
      errors.push_back(item_path + ": must be an object");
      continue;
    }
    // The type comes first: the other keys' defaults depend on it.
    std::size_t type = 0;
    if (auto it = item.find("type"); it != item.end()) {
      auto read = read_enum(*it, listener_type_names);
      if (!read) {
        errors.push_back(item_path + ".type: " + read.error().text());
        continue;
      }
      type = *read;
    }
    ListenerConfig listener(static_cast<ListenerType>(type));
    append(errors, apply_object(item, listener, listener_table(), item_path + "."));
    listeners.push_back(std::move(listener));
  }
  listeners_out = std::move(listeners);
  return errors;
}

Errors check_listener(const ListenerConfig& l, const std::string& p) {
  Errors errors = check_ranges(l, listener_table(), p);
  const std::string type(listener_type_names[static_cast<std::size_t>(l.type)]);
  if (l.is_tls()) {
    // As mosquitto, a listener with psk_hint needs no certificate.
    const bool psk_only =
        l.type != ListenerType::https && !l.psk_hint.empty() && l.certfile.empty() && l.keyfile.empty();
    if (l.certfile.empty() && !psk_only) {
      errors.push_back(p + "certfile: required for a " + type + " listener");
    }
    if (l.keyfile.empty() && !psk_only) {
      errors.push_back(p + "keyfile: required for a " + type + " listener");
    }
    if (psk_only && l.require_certificate) {
      errors.push_back(p + "require_certificate: needs certfile (PSK suites ask for no client certificate)");
    }
    if (!l.psk_hint.empty() && l.psk_file.empty()) {
      errors.push_back(p + "psk_file: required with psk_hint");
    }
    if (l.psk_hint.empty() && !l.psk_file.empty()) {
      errors.push_back(p + "psk_hint: required with psk_file (it enables PSK on the listener)");
    }
    if (l.require_certificate && l.cafile.empty() && l.capath.empty()) {
      errors.push_back(p + "cafile: required (or capath) when require_certificate is true");
    }
    if (!l.crlfile.empty() && l.cafile.empty() && l.capath.empty()) {
      errors.push_back(p + "crlfile: needs cafile or capath (the CAs whose revocations it lists)");
    }
    if (l.tls_version == "tlsv1.3" && !net::TlsContext::has_tls13()) {
      errors.push_back(p + "tls_version: tlsv1.3 is not available: mbedTLS 2.28 has no TLS 1.3 server; "
                           "use \"tlsv1.2\" (which TLS 1.3 clients also speak)");
    } else if (l.tls_version == "tlsv1.3") {
      // OpenSSL's listeners: TLS 1.3 only.
    } else if (l.tls_version == "tlsv1.1" || l.tls_version == "tlsv1") {
      errors.push_back(p + "tls_version: " + l.tls_version + " is not offered: TLS 1.2 is the oldest version accepted");
    } else if (!l.tls_version.empty() && l.tls_version != "tlsv1.2") {
      errors.push_back(p + "tls_version: must be \"tlsv1.2\"" + (net::TlsContext::has_tls13() ? " or \"tlsv1.3\"" : "") +
                       " (got \"" + l.tls_version + "\")");
    }
    if (l.use_identity_as_username && !l.require_certificate && l.psk_hint.empty()) {
      errors.push_back(p + "use_identity_as_username: needs require_certificate true or psk_hint");
    }
    if (l.use_identity_as_username && l.scram_file && !l.scram_file->empty()) {
      // The certificate names the user; a SCRAM exchange would name another.
      errors.push_back(p + "scram_file: not with use_identity_as_username");
    }
  } else {
    const std::pair<const char*, bool> tls_only[] = {{"certfile", !l.certfile.empty()},
                                                     {"keyfile", !l.keyfile.empty()},
                                                     {"keyfile_password", !l.keyfile_password.empty()},
                                                     {"cafile", !l.cafile.empty()},
                                                     {"require_certificate", l.require_certificate},
                                                     {"use_identity_as_username", l.use_identity_as_username},
                                                     {"ciphers", !l.ciphers.empty()}};
    for (const auto& [key, set] : tls_only) {
      if (set) {
        errors.push_back(p + key + ": only for tls, wss and https listeners");
      }
    }
  }
  if (l.type != ListenerType::tls && l.type != ListenerType::wss) {
    const std::pair<const char*, bool> tls_mqtt_only[] = {
        {"capath", !l.capath.empty()},     {"crlfile", !l.crlfile.empty()},   {"tls_version", !l.tls_version.empty()},
        {"psk_hint", !l.psk_hint.empty()}, {"psk_file", !l.psk_file.empty()}};
    for (const auto& [key, set] : tls_mqtt_only) {
      if (set) {
        errors.push_back(p + key + ": only for tls and wss listeners");
      }
    }
  }
  if (l.is_http()) {
    const std::pair<const char*, bool> mqtt_only[] = {{"allow_anonymous", l.allow_anonymous.has_value()},
                                                      {"acl_file", l.acl_file.has_value()},
                                                      {"scram_file", l.scram_file.has_value()},
                                                      {"use_identity_as_username", l.use_identity_as_username}};
    for (const auto& [key, set] : mqtt_only) {
      if (set) {
        errors.push_back(p + key + ": not for http and https listeners");
      }
    }
  } else {
    if (!l.admin_users.empty()) {
      errors.push_back(p + "admin_users: only for http and https listeners");
    }
    if (l.metrics_auth) {
      errors.push_back(p + "metrics_auth: only for http and https listeners");
    }
  }
  if (!l.is_websocket() && !l.allowed_origins.empty()) {
    errors.push_back(p + "allowed_origins: only for ws and wss listeners");
  }
  if (l.is_websocket() && (l.path.empty() || l.path.front() != '/')) {
    errors.push_back(p + "path: must start with '/'");
  } else if (!l.is_websocket() && !l.path.empty()) {
    errors.push_back(p + "path: only for ws and wss listeners");
  }
  return errors;
}

bool binds_overlap(const std::string& a, const std::string& b) {
  auto any = [](const std::string& s) { return s == "0.0.0.0" || s == "::" || s.empty(); };
  return a == b || any(a) || any(b);
}

std::int64_t default_port(ListenerType type) noexcept {
  switch (type) {
    case ListenerType::tcp:
      return 1883;
    case ListenerType::tls:
      return 8883;
    case ListenerType::ws:
      return 8083;
    case ListenerType::wss:
      return 8084;
    case ListenerType::http:
      return 8081;
    case ListenerType::https:
      return 8444;
  }
  return 1883;
}

ListenerConfig::ListenerConfig(ListenerType listener_type) {
  apply_defaults(*this, listener_table());
  type = listener_type;
  port = default_port(listener_type);
  path = is_websocket() ? "/mqtt" : "";
}

std::string ListenerConfig::name() const {
  return std::string(listener_type_names[static_cast<std::size_t>(type)]) + " " + bind + ":" + std::to_string(port);
}

std::vector<ConfigKeyDoc> listener_key_docs() { return docs_of(listener_table()); }

}  // namespace actormq::core
