#include "core/http/api_auth.hpp"

#include "core/auth/crypto.hpp"
#include "core/http/api_input.hpp"

namespace actormq::core {

std::optional<Principal> ApiAuthenticator::check(const std::string& authorization,
                                                 const std::shared_ptr<const PasswordFile>& passwords,
                                                 const HttpSite& site) {
  if (!passwords || authorization.empty()) {
    return std::nullopt;
  }
  auto bytes = [](const std::string& s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  if (passwords == accepted_file_ && crypto::equal_constant_time(bytes(authorization), bytes(accepted_header_))) {
    return accepted_;
  }
  auto credentials = parse_basic(authorization);
  if (!credentials) {
    return std::nullopt;
  }
  if (passwords->check(credentials->first, credentials->second) != PasswordCheck::ok) {
    return std::nullopt;
  }
  accepted_header_ = authorization;
  accepted_file_ = passwords;
  accepted_ = Principal{credentials->first, site.admin_users.contains(credentials->first)};
  return accepted_;
}

}  // namespace actormq::core
