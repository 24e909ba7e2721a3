// What both TLS backends share of a listener's options: the names of a
// `ciphers` list (tls_cipher_names), malformed lists included, and the
// quoting of a client-chosen name for a log line.
#include "net/tls_context.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace actormq::net {

using Names = std::vector<std::string>;

TEST_CASE("cipher names: split at ':' and ',', in order, spaces around each trimmed") {
  CHECK(tls_cipher_names("TLS-A:TLS-B,TLS_C") == Names{"TLS-A", "TLS-B", "TLS_C"});
  CHECK(tls_cipher_names("  TLS-A ,  TLS-B  :TLS-C ") == Names{"TLS-A", "TLS-B", "TLS-C"});
  CHECK(tls_cipher_names("TLS-ONLY") == Names{"TLS-ONLY"});
  CHECK(tls_cipher_names("TLS-B:TLS-A:TLS-B") == Names{"TLS-B", "TLS-A", "TLS-B"});  // as given: no dedup
}

TEST_CASE("cipher names: an empty list, separators or spaces only, and empty entries name nothing") {
  CHECK(tls_cipher_names("").empty());
  CHECK(tls_cipher_names(":").empty());
  CHECK(tls_cipher_names(",:,::").empty());
  CHECK(tls_cipher_names("   ").empty());
  CHECK(tls_cipher_names(" : , ").empty());
  CHECK(tls_cipher_names("::TLS-A,, ,TLS-B:") == Names{"TLS-A", "TLS-B"});
}

TEST_CASE("cipher names: only spaces are trimmed, and a name is not respelled") {
  CHECK(tls_cipher_names("\tTLS-A\n") == Names{"\tTLS-A\n"});
  CHECK(tls_cipher_names("TLS A:tls_b") == Names{"TLS A", "tls_b"});
}

TEST_CASE("quoted name: printable ASCII kept, the rest as '?', cut at 64 bytes") {
  CHECK(tls_quoted_name("device-7") == "\"device-7\"");
  CHECK(tls_quoted_name(std::string("a\0b\x7f\xc3", 5)) == "\"a?b??\"");
  CHECK(tls_quoted_name(std::string(65, 'x')) == "\"" + std::string(64, 'x') + "...\"");
  CHECK(tls_quoted_name("") == "\"\"");
}

}  // namespace actormq::net
