#pragma once
// What a program that embeds the broker decides about its clients
// (include/actormq/broker.hpp's on_authenticate and on_authorize), asked
// before the configuration's rules: `defer` leaves a client or an access to
// allow_anonymous, the password file and the ACL. The hooks are called on
// scheduler threads, concurrently: the host keeps them fast and thread-safe.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/auth/acl.hpp"

namespace actormq::core {

enum class HostDecision : std::uint8_t { defer, allow, deny };

/// A CONNECT (not one with enhanced authentication) as the host sees it.
struct HostConnect {
  std::string_view client_id;             ///< as sent; empty: the broker assigns one
  const std::string* username = nullptr;  ///< null: none sent
  const std::string* password = nullptr;  ///< null: none sent
  std::string_view identity;              ///< TLS client certificate CN or PSK identity; empty: none
};

/// A publish (write), a delivery (read) or, with `filter`, a subscription.
struct HostAccess {
  AclClient client;
  std::string_view topic;  ///< topic name, or the filter (without $share/<group>/)
  AclAccess access = AclAccess::read;
  bool filter = false;     ///< a SUBSCRIBE's filter
};

struct HostAuth {
  std::function<HostDecision(const HostConnect&)> authenticate;
  std::function<HostDecision(const HostAccess&)> authorize;
};

}  // namespace actormq::core
