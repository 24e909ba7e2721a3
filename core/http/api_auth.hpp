#pragma once
// HTTP Basic authentication (RFC 7617) of the API's users against the
// listener's password file (mosquitto_passwd format, verified in constant
// time by PasswordFile::check), and their role: admin_users may change
// things, the others may only read.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/auth/password_file.hpp"
#include "core/http/http_site.hpp"

namespace actormq::core {

struct Principal {
  std::string user;
  bool admin = false;
};

/// Owner-only: one per connection. Remembers the last header it accepted
/// (for that password file), so a kept-alive client is not hashed again on
/// every request; a reload of the file, or another header, checks again.
class ApiAuthenticator {
 public:
  /// Who sent `authorization`; nullopt if nobody we know (no password file,
  /// no or malformed header, unknown user or wrong password).
  [[nodiscard]] std::optional<Principal> check(const std::string& authorization,
                                               const std::shared_ptr<const PasswordFile>& passwords,
                                               const HttpSite& site);

 private:
  std::string accepted_header_;
  std::shared_ptr<const PasswordFile> accepted_file_;
  Principal accepted_;
};

}  // namespace actormq::core
