#pragma once
// SHA-512-crypt, the "$6$" of glibc's crypt(3), `openssl passwd -6` and
// /etc/shadow (Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512"):
//
//   $6$<salt>$<86 characters>             5000 rounds
//   $6$rounds=<N>$<salt>$<86 characters>  N rounds (1000..999999999)
//
// mosquitto's own "$6$" (base64 salt and SHA-512(password || salt)) is a
// different format; core/auth/password_file.cpp tells them apart by the hash.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace actormq::core {

inline constexpr std::uint32_t sha512_crypt_default_rounds = 5000;

/// The full "$6$..." string for `password` with `salt` (at most its first
/// 16 characters are used); `rounds` set writes "rounds=N$" (clamped to
/// 1000..999999999 as the specification says).
[[nodiscard]] std::string sha512_crypt(std::string_view password, std::string_view salt,
                                       std::optional<std::uint32_t> rounds);

}  // namespace actormq::core
