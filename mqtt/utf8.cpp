#include "mqtt/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace actormq::mqtt {

namespace {

// Topics are almost always ASCII: check 8 bytes at a time for a high bit or a NUL.
bool ascii_block_ok(const unsigned char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const bool has_high = (w & highs) != 0;
  const bool has_zero = ((w - ones) & ~w & highs) != 0;
  return !has_high && !has_zero;
}

// Length of the multi-byte sequence at p (lead byte >= 0x80), or 0 if it is
// ill-formed. Ranges follow the Unicode well-formed byte sequence table, which
// excludes overlong forms, surrogates and code points above U+10FFFF.
std::size_t sequence_length(const unsigned char* p, std::size_t left) noexcept {
  const unsigned char b0 = p[0];
  auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < left && p[i] >= lo && p[i] <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return cont(1) ? 2 : 0;
  }
  if (b0 == 0xE0) {
    return cont(1, 0xA0, 0xBF) && cont(2) ? 3 : 0;
  }
  if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (b0 == 0xED) {
    return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // excludes U+D800..U+DFFF
  }
  if (b0 == 0xF0) {
    return cont(1, 0x90, 0xBF) && cont(2) && cont(3) ? 4 : 0;
  }
  if (b0 >= 0xF1 && b0 <= 0xF3) {
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  if (b0 == 0xF4) {
    return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

bool is_valid_mqtt_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (n - i >= 8 && ascii_block_ok(p + i)) {
      i += 8;
      continue;
    }
    if (p[i] < 0x80) {
      if (p[i] == 0) {
        return false;
      }
      ++i;
      continue;
    }
    std::size_t len = sequence_length(p + i, n - i);
    if (len == 0) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace actormq::mqtt
