#pragma once
// Pre-shared keys of a TLS listener (RFC 4279), read from a psk_file in
// mosquitto's format: one `identity:hexkey` per line, blank lines and lines
// starting with '#' ignored. For constrained devices that cannot afford
// certificates; the listener serves the PSK cipher suites with them.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace actormq::net {

/// Read-only once parsed; the keys are wiped from memory when it goes.
class PskKeys {
 public:
  struct Parsed;
  /// Parses the text of a psk_file; errors name `path` and the line
  /// ("psk_file /etc/psk:3: key is not hexadecimal").
  [[nodiscard]] static Parsed parse(std::string_view text, const std::string& path);
  /// Reads and parses the file at `path`.
  [[nodiscard]] static Parsed load(const std::string& path);

  PskKeys() = default;
  ~PskKeys();
  PskKeys(PskKeys&&) = default;
  PskKeys& operator=(PskKeys&&) = default;
  PskKeys(const PskKeys&) = delete;
  PskKeys& operator=(const PskKeys&) = delete;

  /// The key of `identity`, or nullptr if the file has no such identity.
  /// The identity is no secret (a client sends it in clear, RFC 4279
  /// section 2); the key itself is only ever compared by the handshake's
  /// Finished check.
  [[nodiscard]] const std::vector<std::uint8_t>* find(std::string_view identity) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::unordered_map<std::string, std::vector<std::uint8_t>> keys_;
};

struct PskKeys::Parsed {
  PskKeys keys;
  std::string error;  ///< empty on success
};

/// A pre-shared key written in hexadecimal (1..32 bytes, mbedTLS 2.28's
/// limit), or why it is not one ("key is not hexadecimal").
struct PskKey {
  std::vector<std::uint8_t> bytes;
  std::string error;
};
[[nodiscard]] PskKey psk_key_from_hex(std::string_view hex);

/// mbedTLS's cipher suites that use a pre-shared key, in the order actormq
/// prefers them: ECDHE-PSK (forward secrecy), then plain PSK (cheapest for a
/// sensor), DHE-PSK, and with `rsa_psk` RSA-PSK (which also needs the
/// server's certificate); each kind in mbedTLS's order. Not zero-terminated.
[[nodiscard]] std::vector<int> tls_psk_suites(bool rsa_psk);

}  // namespace actormq::net
