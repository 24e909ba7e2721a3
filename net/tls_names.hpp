#pragma once
// The one name check mbedTLS 2.28 leaves out: it matches a DNS name
// (mbedtls_ssl_set_hostname) against the certificate's dNSName entries and
// CN, but never an IP address against its iPAddress entries (RFC 5280
// 4.2.1.6; RFC 6125 section 1.7.2 for the rule that an address is matched
// only so). A server dialled by address is checked here instead.

#include <mbedtls/x509.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace actormq::net {

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address in network order.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t length = 0;
};

/// `text` as an IP literal: dotted IPv4, or IPv6 with or without brackets
/// ("::1", "[::1]"); nullopt for anything else (a DNS name).
[[nodiscard]] std::optional<IpAddress> parse_ip_literal(std::string_view text);

/// True if a subjectAltName entry of `names` (an mbedtls_x509_crt's
/// subject_alt_names, which 2.28 keeps whatever their type, each with its
/// context tag and raw value) is an iPAddress equal to `address`. Entries of
/// any other type, or iPAddress values of a length that is no address, never
/// match.
[[nodiscard]] bool san_names_ip(const mbedtls_x509_sequence& names, const IpAddress& address);

}  // namespace actormq::net
