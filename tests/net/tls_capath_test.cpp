// Which files of a capath the TLS backends read (tls_capath_files), over
// hand-made directories: a missing or unreadable one, one with no
// certificate, hidden files, subdirectories, links; then a listener of the
// backend built (TlsContext::create) on a capath, good and broken.
#include "net/tls_capath.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "net/tls_context.hpp"
#include "tests/net/tls_pki.hpp"

namespace actormq::net {
namespace {
namespace fs = std::filesystem;

constexpr const char* fake_pem = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";

// A fresh directory, removed with everything in it at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "actormq-capath-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text) const {
    std::string file = path + "/" + name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }
};

}  // namespace

TEST_CASE("capath files: a missing directory, or a file in its place, is an error naming it") {
  TempDir dir;
  std::string missing = dir.path + "/none";
  CapathFiles listed = tls_capath_files(missing);
  CHECK(listed.files.empty());
  CHECK(listed.error == "capath " + missing + ": " + std::make_error_code(std::errc::no_such_file_or_directory).message());
  std::string file = dir.write("ca.pem", fake_pem);
  listed = tls_capath_files(file);
  CHECK(listed.files.empty());
  CHECK(listed.error == "capath " + file + ": " + std::make_error_code(std::errc::not_a_directory).message());
  CHECK(tls_capath_files("").error.starts_with("capath : "));
}

TEST_CASE("capath files: a directory that cannot be read is an error naming it") {
  TempDir dir;
  dir.write("ca.pem", fake_pem);
  REQUIRE(::chmod(dir.path.c_str(), 0) == 0);
  const std::string expected =
      "capath " + dir.path + ": " + std::make_error_code(std::errc::permission_denied).message();
  if (::geteuid() != 0) {
    CapathFiles listed = tls_capath_files(dir.path);
    CHECK(listed.files.empty());
    CHECK(listed.error == expected);
    return;
  }
  // Root reads any directory: the listing is tried as nobody, in a child.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
      ::_exit(2);
    }
    CapathFiles listed = tls_capath_files(dir.path);
    ::_exit(listed.files.empty() && listed.error == expected ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("capath files: a directory with no PEM certificate is an error") {
  TempDir dir;
  CHECK(tls_capath_files(dir.path).error == "capath " + dir.path + ": no PEM CA certificate in it");
  // Not certificates: text, an empty file, a CRL, a key, a hidden certificate,
  // a directory named like one, a link to nothing.
  dir.write("README", "CA certificates for the fleet\n");
  dir.write("empty.pem", "");
  dir.write("ca.crl", "-----BEGIN X509 CRL-----\nAA==\n-----END X509 CRL-----\n");
  dir.write("ca.key", "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n");
  dir.write(".hidden.pem", fake_pem);
  fs::create_directory(dir.path + "/sub.pem");
  fs::create_symlink(dir.path + "/gone.pem", dir.path + "/dangling.0");
  CapathFiles listed = tls_capath_files(dir.path);
  CHECK(listed.files.empty());
  CHECK(listed.error == "capath " + dir.path + ": no PEM CA certificate in it");
}

TEST_CASE("capath files: the files holding a certificate, and links to them, sorted by name") {
  TempDir dir;
  dir.write("zeta.pem", std::string("a comment first\n") + fake_pem);
  dir.write("alpha.crt", fake_pem);
  dir.write("README", "not one\n");
  dir.write(".alpha.crt", fake_pem);
  fs::create_directory(dir.path + "/nested");
  std::ofstream(dir.path + "/nested/inner.pem") << fake_pem;  // subdirectories are not searched
  fs::create_symlink(dir.path + "/alpha.crt", dir.path + "/9d66eef0.0");  // c_rehash's link
  fs::create_symlink(dir.path + "/nested", dir.path + "/link-to-dir");
  CapathFiles listed = tls_capath_files(dir.path);
  CHECK(listed.error.empty());
  CHECK(listed.files ==
        std::vector<std::string>{dir.path + "/9d66eef0.0", dir.path + "/alpha.crt", dir.path + "/zeta.pem"});
}

TEST_CASE("capath: a listener trusts every CA of the directory, and names the file that does not parse") {
  TempDir dir;
  fs::copy_file(testing::pki().crt("ca"), dir.path + "/ca.pem");
  fs::copy_file(testing::pki().crt("other"), dir.path + "/other.pem");
  dir.write("README", "not one\n");
  TlsOptions options;
  options.certfile = testing::pki().crt("server");
  options.keyfile = testing::pki().key("server");
  options.capath = dir.path;
  options.require_certificate = true;
  TlsContext::Made made = TlsContext::create(options);
  CHECK(made.error.empty());
  CHECK(made.context != nullptr);

  // "broken.pem" sorts before the good ones: its error is the one given.
  std::string broken = dir.write("broken.pem", fake_pem);
  made = TlsContext::create(options);
  CHECK(made.context == nullptr);
  CHECK(made.error.starts_with("capath " + broken + ": "));

  TempDir empty;
  options.capath = empty.path;
  CHECK(TlsContext::create(options).error == "capath " + empty.path + ": no PEM CA certificate in it");
}

}  // namespace actormq::net
