#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "core/config/config.hpp"

// The TLS keys of tls and wss listeners beyond the files (config_test.cpp
// has those): capath, crlfile, tls_version, psk_hint, psk_file,
// keyfile_password.

using namespace actormq::core;

namespace {

std::string errors_of(std::string_view text) {
  Result<Config> r = parse_config(text);
  return r.ok() ? std::string() : r.error().text();
}

std::string with_listener(const std::string& listener) { return R"({"listeners": [)" + listener + "]}"; }

}  // namespace

TEST_CASE("config: capath, crlfile and tls_version belong to tls and wss listeners") {
  Result<Config> ok = parse_config(with_listener(R"({"type": "wss", "certfile": "c", "keyfile": "k", "capath": "d",
                                                     "crlfile": "r", "require_certificate": true,
                                                     "tls_version": "tlsv1.2"})"));
  REQUIRE_MESSAGE(ok.ok(), ok.error().text());
  CHECK(ok.value().listeners[0].capath == "d");
  CHECK(ok.value().listeners[0].crlfile == "r");
  CHECK(ok.value().listeners[0].tls_version == "tlsv1.2");
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "crlfile": "r"})")) ==
        "listeners[0].crlfile: needs cafile or capath (the CAs whose revocations it lists)");
  CHECK(errors_of(with_listener(R"({"type": "tcp", "capath": "d"})")) ==
        "listeners[0].capath: only for tls and wss listeners");
  CHECK(errors_of(with_listener(R"({"type": "https", "certfile": "c", "keyfile": "k", "crlfile": "r"})")).find(
            "listeners[0].crlfile: only for tls and wss listeners") != std::string::npos);
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "tls_version": "tlsv1.1"})")) ==
        "listeners[0].tls_version: tlsv1.1 is not offered: TLS 1.2 is the oldest version accepted");
#ifdef ACTORMQ_TLS_OPENSSL
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "tls_version": "1.2"})")) ==
        "listeners[0].tls_version: must be \"tlsv1.2\" or \"tlsv1.3\" (got \"1.2\")");
#else
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "tls_version": "1.2"})")) ==
        "listeners[0].tls_version: must be \"tlsv1.2\" (got \"1.2\")");
#endif
}

TEST_CASE("config: tls_version tlsv1.3 is for a TLS backend that serves TLS 1.3") {
  std::string tls13 = with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "tls_version": "tlsv1.3"})");
#ifdef ACTORMQ_TLS_OPENSSL
  Result<Config> ok = parse_config(tls13);
  REQUIRE_MESSAGE(ok.ok(), ok.error().text());
  CHECK(ok.value().listeners[0].tls_version == "tlsv1.3");
#else
  CHECK(errors_of(tls13) ==
        "listeners[0].tls_version: tlsv1.3 is not available: mbedTLS 2.28 has no TLS 1.3 server; use \"tlsv1.2\" "
        "(which TLS 1.3 clients also speak)");
#endif
}

TEST_CASE("config: psk_hint and psk_file, with or without certificates") {
  Result<Config> ok = parse_config(with_listener(R"({"type": "tls", "psk_hint": "h", "psk_file": "p",
                                                     "use_identity_as_username": true})"));
  REQUIRE_MESSAGE(ok.ok(), ok.error().text());
  CHECK(ok.value().listeners[0].psk_hint == "h");
  CHECK(ok.value().listeners[0].psk_file == "p");
  CHECK(ok.value().listeners[0].certfile.empty());
  CHECK(parse_config(with_listener(R"({"type": "wss", "certfile": "c", "keyfile": "k", "psk_hint": "h",
                                      "psk_file": "p"})"))
            .ok());
  CHECK(errors_of(with_listener(R"({"type": "tls", "psk_hint": "h"})")) ==
        "listeners[0].psk_file: required with psk_hint");
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "psk_file": "p"})")) ==
        "listeners[0].psk_hint: required with psk_file (it enables PSK on the listener)");
  CHECK(errors_of(with_listener(R"({"type": "tls", "psk_file": "p"})")).find(
            "listeners[0].certfile: required for a tls listener") != std::string::npos);
  CHECK(errors_of(with_listener(R"({"type": "tls", "psk_hint": "h", "psk_file": "p", "certfile": "c"})")) ==
        "listeners[0].keyfile: required for a tls listener");
  CHECK(errors_of(with_listener(R"({"type": "tls", "psk_hint": "h", "psk_file": "p", "cafile": "a",
                                   "require_certificate": true})")) ==
        "listeners[0].require_certificate: needs certfile (PSK suites ask for no client certificate)");
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k",
                                   "use_identity_as_username": true})")) ==
        "listeners[0].use_identity_as_username: needs require_certificate true or psk_hint");
  CHECK(errors_of(with_listener(R"({"type": "tcp", "psk_hint": "h", "psk_file": "p"})")) ==
        "listeners[0].psk_hint: only for tls and wss listeners\nlisteners[0].psk_file: only for tls and wss listeners");
  CHECK(errors_of(with_listener(R"({"type": "https", "psk_hint": "h", "psk_file": "p"})")).find(
            "listeners[0].certfile: required for a https listener") != std::string::npos);
}

TEST_CASE("config: keyfile_password belongs to listeners with a keyfile") {
  Result<Config> ok = parse_config(with_listener(R"({"type": "https", "certfile": "c", "keyfile": "k",
                                                     "keyfile_password": "s3cret"})"));
  REQUIRE_MESSAGE(ok.ok(), ok.error().text());
  CHECK(ok.value().listeners[0].keyfile_password == "s3cret");
  CHECK(errors_of(with_listener(R"({"type": "ws", "keyfile_password": "s3cret"})")) ==
        "listeners[0].keyfile_password: only for tls, wss and https listeners");
}
