#include "net/tls_names.hpp"

#include <arpa/inet.h>
#include <mbedtls/asn1.h>

#include <cstring>

namespace actormq::net {

namespace {
// GeneralName ::= CHOICE { ..., iPAddress [7] IMPLICIT OCTET STRING, ... }
constexpr int san_ip_tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;
}  // namespace

std::optional<IpAddress> parse_ip_literal(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  // Longer than any address's text: a name (inet_pton needs a C string copy).
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return std::nullopt;
  }
  std::string literal(text);
  IpAddress address;
  if (inet_pton(AF_INET, literal.c_str(), address.bytes.data()) == 1) {
    address.length = 4;
    return address;
  }
  if (inet_pton(AF_INET6, literal.c_str(), address.bytes.data()) == 1) {
    address.length = 16;
    return address;
  }
  return std::nullopt;
}

bool san_names_ip(const mbedtls_x509_sequence& names, const IpAddress& address) {
  if (address.length != 4 && address.length != 16) {
    return false;
  }
  for (const mbedtls_x509_sequence* entry = &names; entry != nullptr; entry = entry->next) {
    const mbedtls_x509_buf& value = entry->buf;
    if (value.tag == san_ip_tag && value.p != nullptr && value.len == address.length &&
        std::memcmp(value.p, address.bytes.data(), address.length) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace actormq::net
