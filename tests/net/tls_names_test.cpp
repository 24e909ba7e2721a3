// The iPAddress check mbedTLS 2.28 lacks, over hand-made subjectAltName
// lists (the shape mbedtls_x509_crt keeps them in), malformed entries included.
#include "net/tls_names.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace actormq::net {
namespace {

constexpr int dns_tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2;
constexpr int ip_tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;

// A subject_alt_names list over `values`, which must outlive it.
struct Names {
  std::vector<mbedtls_x509_sequence> nodes;
  Names(std::vector<std::pair<int, std::vector<unsigned char>*>> entries) : nodes(entries.size()) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      nodes[i].buf.tag = entries[i].first;
      nodes[i].buf.len = entries[i].second->size();
      nodes[i].buf.p = entries[i].second->empty() ? nullptr : entries[i].second->data();
      nodes[i].next = i + 1 < entries.size() ? &nodes[i + 1] : nullptr;
    }
  }
};

IpAddress ip(const char* text) {
  auto a = parse_ip_literal(text);
  REQUIRE(a);
  return *a;
}

}  // namespace

TEST_CASE("tls names: IP literals are told from names") {
  CHECK(ip("127.0.0.1").length == 4);
  CHECK(ip("127.0.0.1").bytes[0] == 127);
  CHECK(ip("127.0.0.1").bytes[3] == 1);
  CHECK(ip("::1").length == 16);
  CHECK(ip("::1").bytes[15] == 1);
  CHECK(ip("[::1]").length == 16);
  CHECK(ip("2001:db8::7").bytes[2] == 0x0d);
  for (const char* name : {"localhost", "example.com", "", "[]", "127.0.0", "127.0.0.1.", "256.0.0.1", "[127.0.0.1",
                           "1.2.3.4:80", "::1%lo", "0x7f.0.0.1", "fe80::1::2",
                           "this-name-is-longer-than-any-ipv6-address-text-can-ever-be.example"}) {
    INFO(name);
    CHECK_FALSE(parse_ip_literal(name));
  }
}

TEST_CASE("tls names: an iPAddress entry of the same bytes and length names the address") {
  std::vector<unsigned char> dns = {'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't'};
  std::vector<unsigned char> v4 = {127, 0, 0, 1};
  std::vector<unsigned char> v6(16, 0);
  v6[15] = 1;
  Names names({{dns_tag, &dns}, {ip_tag, &v4}, {ip_tag, &v6}});
  CHECK(san_names_ip(names.nodes[0], ip("127.0.0.1")));
  CHECK(san_names_ip(names.nodes[0], ip("::1")));
  CHECK_FALSE(san_names_ip(names.nodes[0], ip("127.0.0.2")));
  CHECK_FALSE(san_names_ip(names.nodes[0], ip("::2")));
  // ::ffff:127.0.0.1 is not the 4-byte entry (RFC 6125: compared as octets).
  CHECK_FALSE(san_names_ip(names.nodes[0], ip("::ffff:127.0.0.1")));
}

TEST_CASE("tls names: malformed or foreign entries never match") {
  std::vector<unsigned char> four = {127, 0, 0, 1};
  std::vector<unsigned char> five = {127, 0, 0, 1, 0};
  std::vector<unsigned char> three = {127, 0, 0};
  std::vector<unsigned char> empty;
  std::vector<unsigned char> seventeen(17, 0);
  seventeen[15] = 1;
  // The right bytes under another tag: a dNSName, a constructed [7], otherName.
  Names wrong_tags({{dns_tag, &four},
                    {MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 7, &four},
                    {MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0, &four}});
  CHECK_FALSE(san_names_ip(wrong_tags.nodes[0], ip("127.0.0.1")));
  Names bad_lengths({{ip_tag, &five}, {ip_tag, &three}, {ip_tag, &empty}, {ip_tag, &seventeen}});
  CHECK_FALSE(san_names_ip(bad_lengths.nodes[0], ip("127.0.0.1")));
  CHECK_FALSE(san_names_ip(bad_lengths.nodes[0], ip("::1")));
  // A certificate without the extension: one empty node, as mbedTLS leaves it.
  mbedtls_x509_sequence none{};
  CHECK_FALSE(san_names_ip(none, ip("127.0.0.1")));
  // An address of no valid length never matches, even an entry as long.
  IpAddress odd;
  odd.bytes = {127, 0, 0, 1, 0};
  odd.length = 5;
  CHECK_FALSE(san_names_ip(bad_lengths.nodes[0], odd));
}

}  // namespace actormq::net
