#pragma once
// What a reload (SIGHUP, POST /api/v1/reload) changes: the running
// configuration against the one just read from the file, key by key. Every
// top-level key is in one class (reload_plan.cpp; a unit test holds every
// key of the table to it):
//   - live: put in force at once (log_level, log_format, the authentication
//     keys), or for the connections accepted from then on (the limits);
//   - restart: cannot change in a running broker (data_dir, schedulers,
//     cluster, ...): the running value stays, and the plan names the key;
//   - listeners and bridges: diffed entry by entry (bridges by the bridge
//     service, bridge/mqtt/).
// Pure: it reads two Configs and changes nothing.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace actormq::core {

/// The outcome of comparing a running configuration with the file's.
struct ReloadPlan {
  /// The configuration to put in force: the file's, with the running value
  /// of each key in needs_restart.
  Config next;
  /// Per listener of next.listeners: the index of the running listener it
  /// is (same settings but the authentication keys, which change in place),
  /// whose socket and clients stay; nullopt: one to open.
  std::vector<std::optional<std::size_t>> kept;
  /// Running listeners to close (gone from the file, or changed: a changed
  /// one is closed, then opened again with its new settings).
  std::vector<std::size_t> closed;
  /// Top-level keys whose new value is put in force (e.g. "log_level").
  std::vector<std::string> changed;
  /// Top-level keys that changed in the file but need a restart.
  std::vector<std::string> needs_restart;
  /// log_level or log_format changed.
  bool logging_changed = false;
  /// A key of the Limits (max_packet_size, keep alive, ...) changed.
  bool limits_changed = false;
};

/// Compares `running` with `next` (both valid: validate_config).
[[nodiscard]] ReloadPlan plan_reload(const Config& running, Config next);

/// How reload treats a top-level key.
enum class ReloadClass { live, limit, restart, listeners, bridges };

/// The class of top-level key `key`; nullopt for a key it does not know.
[[nodiscard]] std::optional<ReloadClass> reload_class(std::string_view key);

}  // namespace actormq::core
