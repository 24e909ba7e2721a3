#pragma once
// Authentication and access control of the broker: each listener's
// allow_anonymous, password file, SCRAM users and ACL (a listener may
// override the top-level ones; Config::*_for say which apply). Built before
// the listeners open.
//
// Reload (SIGHUP): every file is read again; only if all of them parse are
// the new rules swapped in, file by file, atomically. A reload may also
// bring new listeners and new settings (Security::reconfigure). Connected clients keep
// their connections; their next CONNECT, PUBLISH, SUBSCRIBE or delivery is
// checked against the new rules. A bad file leaves every old rule in place.

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "core/auth/acl.hpp"
#include "core/auth/host_auth.hpp"
#include "core/auth/password_file.hpp"
#include "core/auth/scram.hpp"
#include "core/config/config.hpp"
#include "core/result.hpp"

namespace actormq::core {

/// The rules of one listener. Paths and flags never change; the parsed files
/// are swapped on reload. Thread-safe.
class ListenerSecurity {
 public:
  ListenerSecurity(bool allow_anonymous, std::string password_path, std::string acl_path,
                   std::string scram_path, bool use_identity_as_username)
      : allow_anonymous(allow_anonymous), use_identity_as_username(use_identity_as_username),
        password_path_(std::move(password_path)), acl_path_(std::move(acl_path)),
        scram_path_(std::move(scram_path)) {}

  const bool allow_anonymous;
  /// tls/wss: the username is the client certificate's CN or the PSK
  /// identity, as the connection's net::Stream::peer_identity() reports it
  /// at CONNECT; the CONNECT's username and password are ignored.
  const bool use_identity_as_username;

  [[nodiscard]] bool checks_passwords() const noexcept { return !password_path_.empty(); }
  [[nodiscard]] bool has_acl() const noexcept { return !acl_path_.empty(); }
  [[nodiscard]] const std::string& password_path() const noexcept { return password_path_; }
  [[nodiscard]] const std::string& acl_path() const noexcept { return acl_path_; }
  [[nodiscard]] const std::string& scram_path() const noexcept { return scram_path_; }
  /// Same flags and paths (the files' contents aside).
  [[nodiscard]] bool same_settings(const ListenerSecurity& o) const noexcept {
    return allow_anonymous == o.allow_anonymous && use_identity_as_username == o.use_identity_as_username &&
           password_path_ == o.password_path_ && acl_path_ == o.acl_path_ && scram_path_ == o.scram_path_;
  }

  /// The current rules; null when the listener has none.
  [[nodiscard]] std::shared_ptr<const PasswordFile> passwords() const { return passwords_.load(); }
  [[nodiscard]] std::shared_ptr<const Acl> acl() const { return acl_.load(); }
  /// SCRAM-SHA-256 users (Config::scram_file_for); null: no SCRAM on this listener.
  [[nodiscard]] std::shared_ptr<const ScramFile> scram() const { return scram_.load(); }

  void set(std::shared_ptr<const PasswordFile> p, std::shared_ptr<const Acl> a,
           std::shared_ptr<const ScramFile> s) {
    passwords_.store(std::move(p));
    acl_.store(std::move(a));
    scram_.store(std::move(s));
  }

  /// The embedding program's hooks (core/auth/host_auth.hpp); null: none.
  [[nodiscard]] const HostAuth* host_auth() const noexcept { return host_; }
  void set_host_auth(const HostAuth* host) noexcept { host_ = host; }
  /// What the host's authorize hook says of an access; defer without one.
  [[nodiscard]] HostDecision host_decides(const HostAccess& access) const {
    return host_ != nullptr && host_->authorize ? host_->authorize(access) : HostDecision::defer;
  }

 private:
  std::string password_path_;
  std::string acl_path_;
  std::string scram_path_;
  std::atomic<std::shared_ptr<const PasswordFile>> passwords_;
  std::atomic<std::shared_ptr<const Acl>> acl_;
  std::atomic<std::shared_ptr<const ScramFile>> scram_;
  const HostAuth* host_ = nullptr;  // set before any connection, then only read
};

class Security {
 public:
  /// Most rules slots a broker has over its life (sessions keep a 16-bit
  /// index; a reload that adds a listener or changes one's authentication
  /// keys takes a new slot).
  static constexpr std::size_t max_slots = 0xFFFF;

  Security() = default;
  Security(const Security&) = delete;
  Security& operator=(const Security&) = delete;

  /// Reads every file the configuration names; the first error ("path:line:
  /// message") if one is missing or malformed. Listener i's rules are slot i.
  [[nodiscard]] static Result<std::unique_ptr<Security>> load(const Config& config);

  /// The rules of slot `i` (a listener's ListenerShared::security_index).
  /// Thread-safe; the reference stays valid while this lives.
  [[nodiscard]] ListenerSecurity& listener(std::size_t i) const {
    return *chunks_[i / chunk_size].load(std::memory_order_acquire)->at(i % chunk_size).load(
        std::memory_order_acquire);
  }
  /// Slots in use (slots below it are valid). Thread-safe.
  [[nodiscard]] std::size_t size() const noexcept { return size_.load(std::memory_order_acquire); }

  /// Reads the files of the rules in force again and swaps them in; on an
  /// error, nothing changes and the error is returned. Thread-safe (one
  /// reload at a time).
  [[nodiscard]] Status reload();
  /// A reload with a new configuration (Broker::reconfigure): listener i of
  /// `config` takes slot reuse[i] when set (the running listener it is),
  /// else a new slot. A slot whose listener's settings (allow_anonymous,
  /// files, use_identity_as_username) are unchanged keeps its rules object,
  /// with the files read again; one whose settings changed gets a new one in
  /// the same slot (the old one stays alive: a session may be using it).
  /// Every file is read first: on an error nothing changes. Returns the slot
  /// of each listener of `config`. Thread-safe (one reload at a time).
  [[nodiscard]] Result<std::vector<std::uint16_t>> reconfigure(const Config& config,
                                                               const std::vector<std::optional<std::uint16_t>>& reuse);
  /// The embedding program's hooks, for every listener; `host` outlives
  /// this. Before the listeners open.
  void set_host_auth(const HostAuth* host);

 private:
  static constexpr std::size_t chunk_size = 256;
  using Chunk = std::array<std::atomic<ListenerSecurity*>, chunk_size>;

  /// Puts `rules` in slot `i` (i <= size()). Writer only.
  void install(std::size_t i, ListenerSecurity* rules);

  // Lock-free reads by index, appends and replacements under the reload
  // lock: a two-level table whose chunks never move.
  std::array<std::atomic<Chunk*>, (max_slots + chunk_size) / chunk_size> chunks_{};
  std::atomic<std::size_t> size_{0};
  std::vector<std::unique_ptr<Chunk>> chunk_store_;
  /// Every rules object ever in a slot: a replaced one may still be in use.
  std::vector<std::unique_ptr<ListenerSecurity>> owned_;
  /// The slots of the listeners in force, whose files reload() reads.
  std::vector<std::uint16_t> in_force_;
  const HostAuth* host_ = nullptr;
};

}  // namespace actormq::core
