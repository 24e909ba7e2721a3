#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "core/config/config.hpp"

// The TLS keys of tls and wss listeners beyond the files (config_test.cpp
// has those): capath, crlfile, tls_version.

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
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "tls_version": "tlsv1.3"})")) ==
        "listeners[0].tls_version: tlsv1.3 is not available: mbedTLS 2.28 has no TLS 1.3 server; use \"tlsv1.2\" "
        "(which TLS 1.3 clients also speak)");
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "tls_version": "tlsv1.1"})")) ==
        "listeners[0].tls_version: tlsv1.1 is not offered: TLS 1.2 is the oldest version accepted");
  CHECK(errors_of(with_listener(R"({"type": "tls", "certfile": "c", "keyfile": "k", "tls_version": "1.2"})")) ==
        "listeners[0].tls_version: must be \"tlsv1.2\" (got \"1.2\")");
}
