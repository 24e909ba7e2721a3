#pragma once
// Which files of a listener's capath (TlsOptions::capath) hold CA
// certificates, read the same way by both TLS backends (mbedTLS's
// tls_load_capath, OpenSSL's OpensslServerFiles) before each parses them
// with its own library.

#include <string>
#include <vector>

namespace actormq::net {

struct CapathFiles {
  /// The paths ("<capath>/<name>"), sorted: a stable order, so the error
  /// that names a file that does not parse names the same one each time.
  std::vector<std::string> files;
  /// "capath <dir>: <why>" (a missing or unreadable directory), or "capath
  /// <dir>: no PEM CA certificate in it"; empty on success, and then `files`
  /// is never empty.
  std::string error;
};

/// As mosquitto's capath (OpenSSL's hashed-directory lookup): the regular
/// files of `capath` and links to them (c_rehash's <hash>.0), hidden ones
/// aside, that hold a PEM certificate ("-----BEGIN CERTIFICATE-----"). A
/// file holding none (a README, a CRL) or that cannot be read is skipped,
/// never parsed.
[[nodiscard]] CapathFiles tls_capath_files(const std::string& capath);

}  // namespace actormq::net
