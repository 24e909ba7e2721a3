#pragma once
// The few primitives authentication needs, on mbedTLS 2.28 (libmbedcrypto):
// SHA-256/512, HMAC-SHA-256, PBKDF2, base64, constant-time comparison and
// random bytes. Thread-safe: every function keeps its state on the stack.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace actormq::core::crypto {

using Bytes = std::vector<std::uint8_t>;

enum class Digest : std::uint8_t { sha256, sha512 };

/// Bytes of a string, without copying.
inline std::span<const std::uint8_t> bytes_of(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// SHA-512 of `a` followed by `b` (mosquitto's "$6$" hash: password then salt).
[[nodiscard]] std::array<std::uint8_t, 64> sha512(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
[[nodiscard]] std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data);
[[nodiscard]] std::array<std::uint8_t, 32> hmac_sha256(std::span<const std::uint8_t> key,
                                                       std::span<const std::uint8_t> message);
/// PBKDF2 (RFC 8018) with HMAC over `digest`; `length` bytes of output.
[[nodiscard]] Bytes pbkdf2(Digest digest, std::span<const std::uint8_t> password, std::span<const std::uint8_t> salt,
                           std::uint32_t iterations, std::size_t length);

/// Standard base64 (RFC 4648 section 4, with padding); nullopt if malformed.
[[nodiscard]] std::optional<Bytes> base64_decode(std::string_view text);
[[nodiscard]] std::string base64_encode(std::span<const std::uint8_t> data);

/// Equal length and contents, in a time that depends on the length only.
[[nodiscard]] bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

/// `n` bytes from the kernel's CSPRNG (getrandom(2)); throws if it fails.
[[nodiscard]] Bytes random_bytes(std::size_t n);

}  // namespace actormq::core::crypto
