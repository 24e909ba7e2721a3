#include "core/auth/security.hpp"

#include <map>
#include <mutex>

namespace actormq::core {

namespace {

// The files of one kind, each parsed once even when several listeners name it.
template <class T>
class Files {
 public:
  /// Parses the file at `path` unless it is "" (none) or parsed already.
  Status add(const std::string& path) {
    if (path.empty() || parsed_.contains(path)) {
      return mqtt::Ok{};
    }
    ACTORMQ_TRY(T file, T::load(path));
    parsed_.emplace(path, std::make_shared<const T>(std::move(file)));
    return mqtt::Ok{};
  }
  /// The file at `path`; null for "".
  std::shared_ptr<const T> find(const std::string& path) const {
    auto it = parsed_.find(path);
    return it == parsed_.end() ? nullptr : it->second;
  }

 private:
  std::map<std::string, std::shared_ptr<const T>> parsed_;
};

struct Parsed {
  Files<PasswordFile> passwords;
  Files<Acl> acls;
  Files<ScramFile> scram;
};

// Listener by listener, each file kind in turn: the first error found is
// the one reported.
Result<Parsed> parse_all(const std::vector<std::unique_ptr<ListenerSecurity>>& listeners) {
  Parsed parsed;
  for (const auto& l : listeners) {
    if (auto added = parsed.passwords.add(l->password_path()); !added) {
      return std::move(added).error().prefixed("password_file ");
    }
    if (auto added = parsed.acls.add(l->acl_path()); !added) {
      return std::move(added).error().prefixed("acl_file ");
    }
    if (auto added = parsed.scram.add(l->scram_path()); !added) {
      return std::move(added).error().prefixed("scram_file ");
    }
  }
  return parsed;
}

std::mutex reload_mutex;

}  // namespace

Result<std::unique_ptr<Security>> Security::load(const Config& config) {
  if (config.listeners.size() > 0xFFFF) {
    return Failure{"listeners: at most 65535"};  // sessions keep a 16-bit index
  }
  auto security = std::make_unique<Security>();
  for (const ListenerConfig& lc : config.listeners) {
    security->listeners_.push_back(std::make_unique<ListenerSecurity>(
        config.allow_anonymous_for(lc), config.password_file_for(lc), config.acl_file_for(lc),
        config.scram_file_for(lc), lc.use_identity_as_username));
  }
  ACTORMQ_CHECK(security->reload());
  return security;
}

Status Security::reload() {
  std::lock_guard lock(reload_mutex);
  ACTORMQ_TRY(Parsed parsed, parse_all(listeners_));
  for (auto& l : listeners_) {
    l->set(parsed.passwords.find(l->password_path()), parsed.acls.find(l->acl_path()),
           parsed.scram.find(l->scram_path()));
  }
  return mqtt::Ok{};
}

}  // namespace actormq::core
