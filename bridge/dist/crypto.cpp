#include "bridge/dist/crypto.hpp"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include <mbedtls/md.h>

namespace actormq::dist::crypto {

namespace {
// mbedTLS failures here are faults (out of memory), not outcomes.
void check(int rc, const char* what) {
  if (rc != 0) {
    throw std::runtime_error(std::string("mbedtls ") + what + " failed: " + std::to_string(rc));
  }
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
}  // namespace

Digest hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
  mbedtls_md_context_t ctx;
  mbedtls_md_init(&ctx);
  Digest out{};
  int rc = mbedtls_md_setup(&ctx, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
  rc = rc ? rc : mbedtls_md_hmac_starts(&ctx, bytes(key), key.size());
  for (std::string_view part : parts) {
    rc = rc ? rc : mbedtls_md_hmac_update(&ctx, bytes(part), part.size());
  }
  rc = rc ? rc : mbedtls_md_hmac_finish(&ctx, out.data());
  mbedtls_md_free(&ctx);
  check(rc, "hmac");
  return out;
}

bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  volatile std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
  }
  return diff == 0;
}

void system_random(std::span<std::uint8_t> out) {
  std::size_t filled = 0;
  while (filled < out.size()) {
    ssize_t got = ::getrandom(out.data() + filled, out.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::runtime_error("getrandom failed");
    }
    filled += static_cast<std::size_t>(got);
  }
}

}  // namespace actormq::dist::crypto
