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
Result<Parsed> parse_all(const std::vector<ListenerSecurity*>& listeners) {
  Parsed parsed;
  for (const ListenerSecurity* l : listeners) {
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

void set_files(const std::vector<ListenerSecurity*>& listeners, const Parsed& parsed) {
  for (ListenerSecurity* l : listeners) {
    l->set(parsed.passwords.find(l->password_path()), parsed.acls.find(l->acl_path()),
           parsed.scram.find(l->scram_path()));
  }
}

std::unique_ptr<ListenerSecurity> rules_of(const Config& config, const ListenerConfig& lc) {
  return std::make_unique<ListenerSecurity>(config.allow_anonymous_for(lc), config.password_file_for(lc),
                                            config.acl_file_for(lc), config.scram_file_for(lc),
                                            lc.use_identity_as_username);
}

std::mutex reload_mutex;

}  // namespace

Result<std::unique_ptr<Security>> Security::load(const Config& config) {
  auto security = std::make_unique<Security>();
  ACTORMQ_TRY(std::vector<std::uint16_t> slots,
              security->reconfigure(config, std::vector<std::optional<std::uint16_t>>(config.listeners.size())));
  static_cast<void>(slots);  // 0, 1, ...: the first slots
  return security;
}

void Security::install(std::size_t i, ListenerSecurity* rules) {
  if (i / chunk_size >= chunk_store_.size()) {
    chunk_store_.push_back(std::make_unique<Chunk>());
    chunks_[i / chunk_size].store(chunk_store_.back().get(), std::memory_order_release);
  }
  chunks_[i / chunk_size].load(std::memory_order_relaxed)->at(i % chunk_size).store(rules, std::memory_order_release);
  if (i == size_.load(std::memory_order_relaxed)) {
    size_.store(i + 1, std::memory_order_release);
  }
}

void Security::set_host_auth(const HostAuth* host) {
  std::lock_guard lock(reload_mutex);
  host_ = host;
  for (auto& l : owned_) {
    l->set_host_auth(host);
  }
}

Status Security::reload() {
  std::lock_guard lock(reload_mutex);
  std::vector<ListenerSecurity*> current;
  for (std::uint16_t slot : in_force_) {
    current.push_back(&listener(slot));
  }
  ACTORMQ_TRY(Parsed parsed, parse_all(current));
  set_files(current, parsed);
  return mqtt::Ok{};
}

Result<std::vector<std::uint16_t>> Security::reconfigure(const Config& config,
                                                         const std::vector<std::optional<std::uint16_t>>& reuse) {
  std::lock_guard lock(reload_mutex);
  std::size_t fresh = 0;
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    fresh += reuse[i] ? 0 : 1;
  }
  std::size_t next_slot = size_.load(std::memory_order_relaxed);
  if (next_slot + fresh > max_slots) {
    return Failure{"listeners: at most " + std::to_string(max_slots) +
                   " listeners over the broker's life (sessions keep a 16-bit index): restart it"};
  }
  // Every listener's rules as the configuration sets them: the slot's own
  // object when nothing changed, else a new one, not yet visible.
  std::vector<ListenerSecurity*> rules;
  std::vector<std::unique_ptr<ListenerSecurity>> made;
  std::vector<std::uint16_t> slots;
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    std::unique_ptr<ListenerSecurity> wanted = rules_of(config, config.listeners[i]);
    if (reuse[i] && listener(*reuse[i]).same_settings(*wanted)) {
      rules.push_back(&listener(*reuse[i]));
      slots.push_back(*reuse[i]);
      continue;
    }
    wanted->set_host_auth(host_);
    rules.push_back(wanted.get());
    slots.push_back(reuse[i] ? *reuse[i] : static_cast<std::uint16_t>(next_slot++));
    made.push_back(std::move(wanted));
  }
  ACTORMQ_TRY(Parsed parsed, parse_all(rules));
  set_files(rules, parsed);
  for (std::size_t i = 0, m = 0; i < slots.size(); ++i) {
    if (m < made.size() && rules[i] == made[m].get()) {
      install(slots[i], rules[i]);
      owned_.push_back(std::move(made[m++]));
    }
  }
  in_force_ = slots;
  return slots;
}

}  // namespace actormq::core
