#pragma once
// One hexadecimal digit's value: PSK keys (tls_psk) and percent-encoded
// request paths (http_request) are read with it.

namespace actormq::net {

/// 0-15 for 0-9, a-f, A-F; -1 for any other character.
[[nodiscard]] constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace actormq::net
