#include "core/auth/sha512_crypt.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <vector>

#include <mbedtls/sha512.h>

namespace actormq::core {

namespace {

using Digest = std::array<std::uint8_t, 64>;

// RAII SHA-512 context.
class Sha512 {
 public:
  Sha512() {
    mbedtls_sha512_init(&ctx_);
    check(mbedtls_sha512_starts_ret(&ctx_, 0));
  }
  ~Sha512() { mbedtls_sha512_free(&ctx_); }
  Sha512(const Sha512&) = delete;
  Sha512& operator=(const Sha512&) = delete;
  void add(const void* data, std::size_t n) {
    check(mbedtls_sha512_update_ret(&ctx_, static_cast<const unsigned char*>(data), n));
  }
  void add(std::string_view s) { add(s.data(), s.size()); }
  void add(const Digest& d, std::size_t n = 64) { add(d.data(), n); }
  Digest finish() {
    Digest out{};
    check(mbedtls_sha512_finish_ret(&ctx_, out.data()));
    return out;
  }

 private:
  static void check(int rc) {
    if (rc != 0) {
      throw std::runtime_error("mbedtls sha512 failed");
    }
  }
  mbedtls_sha512_context ctx_;
};

// `digest` repeated to `n` bytes (the P and S sequences, steps 16 and 20).
std::string repeat_to(const Digest& digest, std::size_t n) {
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    out.append(reinterpret_cast<const char*>(digest.data()), std::min<std::size_t>(64, n - out.size()));
  }
  return out;
}

constexpr char alphabet[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// The n (at most 4) characters of crypt's base 64 for three bytes.
std::string b64_from_24bit(std::uint8_t b2, std::uint8_t b1, std::uint8_t b0, int n) {
  std::uint32_t w = (std::uint32_t{b2} << 16) | (std::uint32_t{b1} << 8) | b0;
  std::string out;
  for (int i = 0; i < n; ++i) {
    out.push_back(alphabet[w & 0x3f]);
    w >>= 6;
  }
  return out;
}

}  // namespace

std::string sha512_crypt(std::string_view password, std::string_view salt, std::optional<std::uint32_t> rounds) {
  salt = salt.substr(0, 16);
  std::uint32_t n = rounds ? std::clamp<std::uint32_t>(*rounds, 1000, 999999999) : sha512_crypt_default_rounds;
  // Steps 4-8: digest B.
  Sha512 b;
  b.add(password);
  b.add(salt);
  b.add(password);
  Digest db = b.finish();
  // Steps 1-3, 9-12: digest A.
  Sha512 a;
  a.add(password);
  a.add(salt);
  std::size_t left = password.size();
  for (; left > 64; left -= 64) {
    a.add(db);
  }
  a.add(db, left);
  for (std::size_t bits = password.size(); bits > 0; bits >>= 1) {
    if (bits & 1) {
      a.add(db);
    } else {
      a.add(password);
    }
  }
  Digest c = a.finish();
  // Steps 13-16: the P sequence.
  Sha512 dp;
  for (std::size_t i = 0; i < password.size(); ++i) {
    dp.add(password);
  }
  std::string p = repeat_to(dp.finish(), password.size());
  // Steps 17-20: the S sequence.
  Sha512 ds;
  for (std::size_t i = 0; i < 16u + c[0]; ++i) {
    ds.add(salt);
  }
  std::string s = repeat_to(ds.finish(), salt.size());
  // Step 21: the rounds.
  for (std::uint32_t i = 0; i < n; ++i) {
    Sha512 r;
    if (i & 1) {
      r.add(p);
    } else {
      r.add(c);
    }
    if (i % 3 != 0) {
      r.add(s);
    }
    if (i % 7 != 0) {
      r.add(p);
    }
    if (i & 1) {
      r.add(c);
    } else {
      r.add(p);
    }
    c = r.finish();
  }
  // Step 22: the output, with the specification's byte order.
  std::string out = "$6$";
  if (rounds) {
    out += "rounds=" + std::to_string(n) + "$";
  }
  out.append(salt);
  out.push_back('$');
  static constexpr std::array<std::array<int, 3>, 21> order{{{0, 21, 42},  {22, 43, 1},  {44, 2, 23},  {3, 24, 45},
                                                             {25, 46, 4},  {47, 5, 26},  {6, 27, 48},  {28, 49, 7},
                                                             {50, 8, 29},  {9, 30, 51},  {31, 52, 10}, {53, 11, 32},
                                                             {12, 33, 54}, {34, 55, 13}, {56, 14, 35}, {15, 36, 57},
                                                             {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19},
                                                             {62, 20, 41}}};
  for (const auto& [x, y, z] : order) {
    out += b64_from_24bit(c[x], c[y], c[z], 4);
  }
  out += b64_from_24bit(0, 0, c[63], 2);
  return out;
}

}  // namespace actormq::core
