#pragma once
// The command line of `actormq ctl`, the operator's command:
//   actormq ctl [--config FILE] [--api URL] [--pid-file FILE]
//               [--user U [--password P]] <command>
// commands: status, upgrade [--timeout S], evacuate [NODE] [--redirect-to
// HOST:PORT] [--rate N] [--session-rate N] [--wait-takeover S]
// [--migrate-to NODE,...] [--no-wait |
// --timeout S] | evacuate --cancel. The broker is found through the
// config file (its pid_file, its first http listener) unless the options
// name it. The password may come from $ACTORMQ_CTL_PASSWORD instead, out of
// sight of ps.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/ctl/http_client.hpp"

namespace actormq::core::ctl {

enum class Command : std::uint8_t { status, upgrade, evacuate };

/// `ctl evacuate`'s order (POST /api/v1/evacuate; unset: the broker's defaults).
struct EvacuateOptions {
  std::string node;  ///< "": any; else the node's name must be this (a guard against the wrong --api)
  std::string redirect_to;
  std::optional<std::uint32_t> rate;          ///< connections ended a second
  std::optional<std::uint32_t> session_rate;  ///< sessions moved a second
  std::optional<std::uint32_t> wait_takeover_s;
  std::vector<std::string> migrate_to;  ///< the peers sessions may move to; empty: all
  bool wait = true;     ///< until the node is empty (or timeout_s)
  bool cancel = false;  ///< DELETE instead: clients are accepted again
};

struct CtlOptions {
  Command command = Command::status;
  std::string config_file;              ///< "": the defaults (no pid_file, no http listener)
  std::optional<HttpEndpoint> api;      ///< --api: replaces the config's http listener
  std::optional<std::string> pid_file;  ///< replaces the config's pid_file
  std::string user;                     ///< "": no Authorization header
  std::string password;
  double timeout_s = 60;  ///< upgrade, evacuate: how long to wait for the outcome; status: 5 s per request
  EvacuateOptions evacuate;
};

/// Exit codes of `actormq ctl`.
inline constexpr int ctl_ok = 0;
inline constexpr int ctl_failed = 1;  ///< the broker did not answer, or the command failed
inline constexpr int ctl_usage = 2;   ///< bad command line

struct CtlParse {
  std::optional<CtlOptions> options;  ///< set: run this
  int exit_code = ctl_ok;             ///< when options is unset
};

/// `argv[0]` is "ctl". --help prints the commands to `out` (exit 0); bad
/// arguments print what is wrong and the usage to `err` (exit ctl_usage).
/// `env_password` stands in for a --user without --password. Never throws.
[[nodiscard]] CtlParse parse_ctl_args(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                                      const char* env_password);

}  // namespace actormq::core::ctl
