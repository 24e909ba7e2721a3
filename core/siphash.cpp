#include "core/siphash.hpp"

#include <bit>

#include "core/auth/crypto.hpp"

namespace actormq::core {

namespace {

std::uint64_t load_le(const char* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  }
  return v;
}

struct State {
  std::uint64_t v0, v1, v2, v3;

  void round() noexcept {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  void compress(std::uint64_t m) noexcept {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  std::uint64_t finish(std::uint8_t mark) noexcept {
    v2 ^= mark;
    round();
    round();
    round();
    round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

// The state after every message word and the final one (length byte on
// top), for the 128-bit output.
State absorb(const SipKey& key, std::string_view data) noexcept {
  State s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL ^ 0xee, key.k0 ^ 0x6c7967656e657261ULL,
          key.k1 ^ 0x7465646279746573ULL};
  const std::size_t whole = data.size() & ~std::size_t{7};
  for (std::size_t i = 0; i < whole; i += 8) {
    s.compress(load_le(data.data() + i, 8));
  }
  s.compress(load_le(data.data() + whole, data.size() - whole) | (std::uint64_t{data.size() & 0xff} << 56));
  return s;
}

}  // namespace

SipKey SipKey::random() {
  crypto::Bytes b = crypto::random_bytes(16);
  const auto* p = reinterpret_cast<const char*>(b.data());
  return SipKey{load_le(p, 8), load_le(p + 8, 8)};
}

Hash128 siphash128(const SipKey& key, std::string_view data) noexcept {
  State s = absorb(key, data);
  Hash128 h;
  h.lo = s.finish(0xee);
  s.v1 ^= 0xdd;
  s.round();
  s.round();
  s.round();
  s.round();
  h.hi = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
  if (h.empty()) {
    h.lo = 1;
  }
  return h;
}

}  // namespace actormq::core
