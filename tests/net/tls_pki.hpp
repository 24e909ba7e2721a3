#pragma once
// A throwaway PKI for the TLS unit tests, made with the openssl command line
// as tests/integration/tls_util.py makes the integration tests' (ECDSA P-256):
// two CAs and leaf certificates, each made on first use, in a temporary
// directory removed at exit.

#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace actormq::net::testing {

class Pki {
 public:
  /// What a leaf certificate is: its CN, the CA that signs it, and the
  /// openssl extension line (subjectAltName, or a raw DER extension).
  struct Leaf {
    std::string cn;
    std::string ca;
    std::string extension;
  };

  Pki() {
    std::string pattern = (std::filesystem::temp_directory_path() / "actormq-pki-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
  }
  ~Pki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  /// <name>.crt of `name` (a CA or a leaf of leaves()), made if need be.
  std::string crt(const std::string& name) { return make(name) + ".crt"; }
  std::string key(const std::string& name) { return make(name) + ".key"; }

 private:
  // "ca" and "other" are CAs; the rest are leaves.
  static const std::map<std::string, Leaf>& leaves() {
    static const std::map<std::string, Leaf> all = {
        {"server", {"localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"}},
        {"server-dns", {"localhost", "ca", "subjectAltName=DNS:localhost"}},
        {"server-ip2", {"localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.2,IP:::2"}},
        {"server-foreign", {"localhost", "other", "subjectAltName=DNS:localhost,IP:127.0.0.1"}},
        // SAN [DNS:localhost, iPAddress of 5 bytes 7f 00 00 01 00]: well-formed
        // DER that mbedTLS keeps, but no address.
        {"server-odd-ip", {"localhost", "ca", "2.5.29.17=DER:301282096c6f63616c686f737487057f00000100"}},
        // SAN whose SEQUENCE says 9 bytes of 14: mbedTLS refuses the certificate.
        {"server-bad-san", {"localhost", "ca", "2.5.29.17=DER:30098205000102030487050102030405"}},
        {"client", {"device-7", "ca", ""}},
        {"client-foreign", {"device-x", "other", ""}},
    };
    return all;
  }

  std::string make(const std::string& name) {
    std::string base = dir_ + "/" + name;
    if (made_.count(name) != 0) {
      return base;
    }
    static const std::string new_key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ";
    if (name == "ca" || name == "other") {
      openssl("req -x509" + new_key + base + ".key -subj '/CN=" + name + " test CA' -days 2 -out " + base + ".crt");
    } else {
      const Leaf& leaf = leaves().at(name);
      std::string ca = make(leaf.ca);
      openssl("req -new" + new_key + base + ".key -subj '/CN=" + leaf.cn + "' -out " + base + ".csr");
      std::string ext;
      if (!leaf.extension.empty()) {
        REQUIRE(std::system(("echo '" + leaf.extension + "' > " + base + ".ext").c_str()) == 0);
        ext = " -extfile " + base + ".ext";
      }
      openssl("x509 -req -in " + base + ".csr -CA " + ca + ".crt -CAkey " + ca + ".key -set_serial " +
              std::to_string(++serial_) + " -days 2" + ext + " -out " + base + ".crt");
    }
    made_.insert(name);
    return base;
  }

  static void openssl(const std::string& args) {
    std::string command = "openssl " + args + " >/dev/null 2>&1";
    INFO(command);
    REQUIRE(std::system(command.c_str()) == 0);
  }

  std::string dir_;
  std::set<std::string> made_;
  int serial_ = 0;
};

/// The test binary's PKI (each test case runs in a process of its own).
inline Pki& pki() {
  static Pki instance;
  return instance;
}

}  // namespace actormq::net::testing
