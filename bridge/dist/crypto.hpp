#pragma once
// The little cryptography of the handshake: HMAC-SHA256 (mbedTLS's md API),
// constant-time comparison and the kernel's random bytes. (core/auth/crypto
// has the same primitives; dist may not include core/.)

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace actormq::dist::crypto {

using Digest = std::array<std::uint8_t, 32>;

/// HMAC-SHA256 with `key` over the concatenation of `parts`.
[[nodiscard]] Digest hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts);

/// Looks at every byte whatever differs, so the time taken says nothing about
/// where two digests part.
[[nodiscard]] bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

/// Fills `out` from getrandom(2); throws if the kernel cannot.
void system_random(std::span<std::uint8_t> out);

}  // namespace actormq::dist::crypto
