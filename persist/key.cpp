#include "persist/key.hpp"

#include <mbedtls/sha256.h>

#include <array>
#include <stdexcept>

#include "persist/env.hpp"

namespace actormq::persist {

namespace {

constexpr char digest_marker = '\0';
constexpr std::uint8_t envelope_format = 1;
// The tail of a session_key() after its client id: 0 and 8 bytes.
constexpr std::size_t session_suffix = 9;

bool session_keyed(Db db) { return db == Db::queue || db == Db::inflight; }

}  // namespace

std::string sha256_digest(std::string_view data) {
  std::array<unsigned char, 32> out{};
  if (mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), 0) != 0) {
    throw std::runtime_error("mbedtls_sha256_ret failed");
  }
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

KeyScheme::KeyScheme(std::size_t max_key_size, KeyDigest digest)
    : max_key_size_(max_key_size), digest_(std::move(digest)) {}

std::string KeyScheme::digest_key(std::string_view hashed, std::string_view rest) const {
  std::string key(1, digest_marker);
  key += digest_(hashed);
  key += rest;
  return key;
}

KeyScheme::Stored KeyScheme::stored_key(Db db, std::string_view key) const {
  if (db == Db::messages || key.size() <= max_key_size_) {
    return {std::string(key), false};
  }
  if (session_keyed(db) && key.size() >= session_suffix) {
    const std::size_t id_size = key.size() - session_suffix;
    return {digest_key(key.substr(0, id_size), key.substr(id_size)), true};
  }
  return {digest_key(key, {}), true};
}

KeyScheme::Stored KeyScheme::stored_prefix(Db db, std::string_view prefix) const {
  // Every key of a session_prefix() is 8 bytes longer; they are digest keys
  // exactly when stored_key() makes them so.
  if (!session_keyed(db) || prefix.empty() || prefix.size() + session_suffix - 1 <= max_key_size_) {
    return {std::string(prefix), false};
  }
  std::string_view id = prefix.substr(0, prefix.size() - 1);
  return {digest_key(id, prefix.substr(id.size())), true};
}

bool is_digest_key(Db db, std::string_view stored_key) noexcept {
  return db != Db::messages && !stored_key.empty() && stored_key.front() == digest_marker;
}

std::string wrap(std::string_view key, std::string_view value) {
  std::string out;
  out.reserve(5 + key.size() + value.size());
  out.push_back(static_cast<char>(envelope_format));
  const auto n = static_cast<std::uint32_t>(key.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((n >> shift) & 0xFF));
  }
  out += key;
  out += value;
  return out;
}

std::optional<Unwrapped> unwrap(std::string_view envelope) noexcept {
  if (envelope.size() < 5 || static_cast<std::uint8_t>(envelope[0]) != envelope_format) {
    return std::nullopt;
  }
  std::uint32_t n = 0;
  for (std::size_t i = 1; i < 5; ++i) {
    n = (n << 8) | static_cast<std::uint8_t>(envelope[i]);
  }
  if (n == 0 || n > envelope.size() - 5) {
    return std::nullopt;
  }
  return Unwrapped{envelope.substr(5, n), envelope.substr(5 + n)};
}

}  // namespace actormq::persist
