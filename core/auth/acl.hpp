#pragma once
// Access control lists in mosquitto's acl_file syntax, with mosquitto 2.0's
// meaning (mosquitto.conf(5), src/security_default.c):
//
//   # comment
//   topic [read|write|readwrite|deny] <filter>   rules before the first `user`
//                                                line are for anonymous clients
//   user <username>                              the rules below are this user's
//   pattern [read|write|readwrite|deny] <filter> for every client; %c is its
//                                                client id, %u its username
//
// No access word means readwrite; "deny" rules are tried before the others.
// A check looks at the client's own rules (its user section, or the anonymous
// section), then at the patterns; the first rule whose filter matches the
// topic decides: deny refuses, a rule granting the access allows, one that
// does not is passed over. Nothing matching: refused. As in mosquitto:
//  * a user without a section of its own has only the patterns;
//  * patterns using %u do not apply to clients without a username;
//  * when patterns exist, a client whose username or client id contains '+'
//    or '#' is refused (it could widen a pattern);
//  * wildcards at the first level do not match "$" topics.
//
// SUBSCRIBE (mosquitto 2.0 does not check it; actormq does): a filter is
// refused when a deny rule covers all of it, or no rule granting read could
// match any topic the filter matches. Whatever is granted, every message is
// checked for read access again when it is delivered, so a subscription to
// "#" receives only what the client may read.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/auth/text_file.hpp"

namespace actormq::core {

enum class AclAccess : std::uint8_t { read = 1, write = 2 };

/// Who asks: the client id and (if any) the username of a connection.
struct AclClient {
  std::string_view client_id;
  const std::string* username = nullptr;  ///< null: anonymous
};

/// Immutable once parsed; every check is thread-safe.
class Acl {
 public:
  struct Rule {
    std::string filter;
    std::uint8_t access = 0;  ///< 0: deny; bits of AclAccess
    bool substituted = false; ///< pattern with %c or %u
    bool uses_username = false;
  };

  /// Parses the text of a file called `path` (used in error messages).
  [[nodiscard]] static Result<Acl> parse(std::string_view text, const std::string& path);
  [[nodiscard]] static Result<Acl> load(const std::string& path);

  /// May `who` publish to (write) or receive from (read) topic name `topic`?
  [[nodiscard]] bool allows(const AclClient& who, std::string_view topic, AclAccess access) const;
  /// May `who` subscribe to topic filter `filter` (without any $share prefix)?
  [[nodiscard]] bool allows_subscribe(const AclClient& who, std::string_view filter) const;

 private:
  enum class Verdict : std::uint8_t { allow, deny, none };
  template <class Match>
  Verdict decide(const AclClient& who, Match&& match) const;

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::vector<Rule> anonymous_;
  std::unordered_map<std::string, std::vector<Rule>, Hash, std::equal_to<>> users_;
  std::vector<Rule> patterns_;
};

/// True if every topic that `filter` matches is also matched by `rule`.
[[nodiscard]] bool filter_covers(std::string_view rule, std::string_view filter) noexcept;
/// True if some topic is matched by both filters.
[[nodiscard]] bool filters_intersect(std::string_view a, std::string_view b) noexcept;

}  // namespace actormq::core
