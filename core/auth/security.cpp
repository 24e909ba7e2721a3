#include "core/auth/security.hpp"

#include <map>
#include <mutex>

namespace actormq::core {

namespace {

// Every file, each parsed once even when several listeners name it.
struct Parsed {
  std::map<std::string, std::shared_ptr<const PasswordFile>> passwords;
  std::map<std::string, std::shared_ptr<const Acl>> acls;
  std::map<std::string, std::shared_ptr<const ScramFile>> scram;
};

template <class T>
std::optional<std::string> parse_into(std::map<std::string, std::shared_ptr<const T>>& into,
                                      const std::string& path) {
  if (path.empty() || into.contains(path)) {
    return std::nullopt;
  }
  auto loaded = T::load(path);
  if (!loaded.ok()) {
    return loaded.error;
  }
  into.emplace(path, std::make_shared<const T>(std::move(*loaded.value)));
  return std::nullopt;
}

FileResult<Parsed> parse_all(const std::vector<std::unique_ptr<ListenerSecurity>>& listeners) {
  Parsed parsed;
  for (const auto& l : listeners) {
    if (auto error = parse_into(parsed.passwords, l->password_path())) {
      return {std::nullopt, "password_file " + *error};
    }
    if (auto error = parse_into(parsed.acls, l->acl_path())) {
      return {std::nullopt, "acl_file " + *error};
    }
    if (auto error = parse_into(parsed.scram, l->scram_path())) {
      return {std::nullopt, "scram_file " + *error};
    }
  }
  return {std::move(parsed), {}};
}

template <class T>
std::shared_ptr<const T> find(const std::map<std::string, std::shared_ptr<const T>>& in, const std::string& path) {
  auto it = in.find(path);
  return it == in.end() ? nullptr : it->second;
}

std::mutex reload_mutex;

}  // namespace

FileResult<std::unique_ptr<Security>> Security::load(const Config& config) {
  if (config.listeners.size() > 0xFFFF) {
    return {std::nullopt, "listeners: at most 65535"};  // sessions keep a 16-bit index
  }
  auto security = std::make_unique<Security>();
  for (const ListenerConfig& lc : config.listeners) {
    security->listeners_.push_back(std::make_unique<ListenerSecurity>(
        config.allow_anonymous_for(lc), config.password_file_for(lc), config.acl_file_for(lc),
        config.scram_file_for(lc), lc.use_identity_as_username));
  }
  if (auto error = security->reload()) {
    return {std::nullopt, *error};
  }
  return {std::move(security), {}};
}

std::optional<std::string> Security::reload() {
  std::lock_guard lock(reload_mutex);
  auto parsed = parse_all(listeners_);
  if (!parsed.ok()) {
    return parsed.error;
  }
  for (auto& l : listeners_) {
    l->set(find(parsed.value->passwords, l->password_path()), find(parsed.value->acls, l->acl_path()),
           find(parsed.value->scram, l->scram_path()));
  }
  return std::nullopt;
}

}  // namespace actormq::core
