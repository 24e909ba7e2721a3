#include "core/http/api_auth.hpp"

#include <cctype>

#include "core/auth/crypto.hpp"

namespace actormq::core {

std::optional<std::pair<std::string, std::string>> parse_basic(std::string_view authorization) {
  // RFC 7617 2: the scheme is case-insensitive; one space, then token68.
  if (authorization.size() < 6) {
    return std::nullopt;
  }
  std::string scheme(authorization.substr(0, 6));
  for (char& c : scheme) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (scheme != "basic ") {
    return std::nullopt;
  }
  std::string_view encoded = authorization.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') {
    encoded.remove_prefix(1);
  }
  std::optional<crypto::Bytes> raw = crypto::base64_decode(encoded);
  if (!raw) {
    return std::nullopt;
  }
  std::string text(raw->begin(), raw->end());
  std::size_t colon = text.find(':');  // a user name has no ':' (RFC 7617 2)
  if (colon == std::string::npos || colon == 0) {
    return std::nullopt;
  }
  return std::make_pair(text.substr(0, colon), text.substr(colon + 1));
}

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
