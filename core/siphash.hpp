#pragma once
// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash of short strings
// that someone who does not know the key cannot make collide. Tables keyed
// by the hash of a client's string alone (flat_rows.hpp) use it with a
// random key of their own, so that no client can choose ids or filters
// whose hashes meet.

#include <cstdint>
#include <string_view>

namespace actormq::core {

struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
  /// A key from the kernel's CSPRNG.
  [[nodiscard]] static SipKey random();
};

/// A 128-bit SipHash output; never both words 0 (flat_rows.hpp's empty slot).
struct Hash128 {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  [[nodiscard]] constexpr bool empty() const noexcept { return lo == 0 && hi == 0; }
  friend constexpr bool operator==(const Hash128&, const Hash128&) = default;
};

/// SipHash-2-4 with a 128-bit output (the reference's 16 bytes, little-endian
/// words: lo is bytes 0..7). An output of all zero bits (a chance of 2^-128)
/// is given as lo = 1 so that it never reads as an empty slot.
[[nodiscard]] Hash128 siphash128(const SipKey& key, std::string_view data) noexcept;

}  // namespace actormq::core
