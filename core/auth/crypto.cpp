#include "core/auth/crypto.hpp"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>

#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

namespace actormq::core::crypto {

namespace {
// mbedTLS failures here are faults (bad parameters, out of memory), not
// expected outcomes: they end the calling process.
void check(int rc, const char* what) {
  if (rc != 0) {
    throw std::runtime_error(std::string("mbedtls ") + what + " failed: " + std::to_string(rc));
  }
}

// RAII for an mbedtls_md_context_t.
class MdContext {
 public:
  MdContext(mbedtls_md_type_t type, bool hmac) {
    mbedtls_md_init(&ctx_);
    check(mbedtls_md_setup(&ctx_, mbedtls_md_info_from_type(type), hmac ? 1 : 0), "md_setup");
  }
  ~MdContext() { mbedtls_md_free(&ctx_); }
  MdContext(const MdContext&) = delete;
  MdContext& operator=(const MdContext&) = delete;
  mbedtls_md_context_t* get() { return &ctx_; }

 private:
  mbedtls_md_context_t ctx_;
};
}  // namespace

std::array<std::uint8_t, 64> sha512(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  std::array<std::uint8_t, 64> out{};
  mbedtls_sha512_context ctx;
  mbedtls_sha512_init(&ctx);
  int rc = mbedtls_sha512_starts_ret(&ctx, 0);
  rc = rc ? rc : mbedtls_sha512_update_ret(&ctx, a.data(), a.size());
  rc = rc ? rc : mbedtls_sha512_update_ret(&ctx, b.data(), b.size());
  rc = rc ? rc : mbedtls_sha512_finish_ret(&ctx, out.data());
  mbedtls_sha512_free(&ctx);
  check(rc, "sha512");
  return out;
}

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 32> out{};
  check(mbedtls_sha256_ret(data.data(), data.size(), out.data(), 0), "sha256");
  return out;
}

std::array<std::uint8_t, 32> hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> message) {
  std::array<std::uint8_t, 32> out{};
  check(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key.data(), key.size(), message.data(),
                        message.size(), out.data()),
        "hmac");
  return out;
}

Bytes pbkdf2(Digest digest, std::span<const std::uint8_t> password, std::span<const std::uint8_t> salt,
             std::uint32_t iterations, std::size_t length) {
  MdContext ctx(digest == Digest::sha256 ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_SHA512, true);
  Bytes out(length);
  check(mbedtls_pkcs5_pbkdf2_hmac(ctx.get(), password.data(), password.size(), salt.data(), salt.size(), iterations,
                                  static_cast<std::uint32_t>(length), out.data()),
        "pbkdf2");
  return out;
}

std::optional<Bytes> base64_decode(std::string_view text) {
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t needed = 0;
  int rc = mbedtls_base64_decode(nullptr, 0, &needed, src, text.size());
  if (rc != 0 && rc != MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL) {
    return std::nullopt;
  }
  Bytes out(needed);
  std::size_t written = 0;
  if (mbedtls_base64_decode(out.data(), out.size(), &written, src, text.size()) != 0) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

std::string base64_encode(std::span<const std::uint8_t> data) {
  std::size_t needed = 0;
  (void)mbedtls_base64_encode(nullptr, 0, &needed, data.data(), data.size());
  std::string out(needed, '\0');
  std::size_t written = 0;
  check(mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &written, data.data(),
                              data.size()),
        "base64_encode");
  out.resize(written);
  return out;
}

bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  // Every byte is looked at; the result is only read at the end.
  // (mbedtls_ct_memcmp is not exported as a C symbol by Debian's 2.28 headers.)
  volatile std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
  }
  return diff == 0;
}

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  std::size_t filled = 0;
  while (filled < n) {
    ssize_t got = ::getrandom(out.data() + filled, n - filled, 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::runtime_error("getrandom failed");
    }
    filled += static_cast<std::size_t>(got);
  }
  return out;
}

}  // namespace actormq::core::crypto
