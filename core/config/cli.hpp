#pragma once
// The command line:
//   actormq [--config FILE] [--bind ADDR] [--port N] [--data-dir DIR]
//           [--durability none|batch|sync] [--node-name NAME]
//           [--cluster-port N] [--seed HOST:PORT]... [--cookie-file FILE]
//           [-v] [--help] [--version]
// The file (or the defaults) come first; the options override it.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"

namespace actormq::core {

/// Exit codes when the broker does not start.
inline constexpr int exit_usage = 2;         ///< bad command line
inline constexpr int exit_bad_config = 1;    ///< unreadable or invalid configuration

/// Options that override the configuration file.
struct CliOverrides {
  std::optional<std::string> bind;   ///< first tcp listener's address
  std::optional<std::int64_t> port;  ///< first tcp listener's port
  std::optional<std::string> data_dir;
  std::optional<Durability> durability;
  // The cluster object's keys; any of them makes the node part of a cluster.
  std::optional<std::string> node_name;
  std::optional<std::int64_t> cluster_port;
  std::optional<std::vector<std::string>> seeds;  ///< replaces the file's list
  std::optional<std::string> cookie_file;        ///< replaces the file's cookie or cookie_file
  bool verbose = false;  ///< log level debug
};

/// `config` with the overrides applied. --bind and --port change the first
/// tcp listener; when there is none they add one (127.0.0.1:1883 unless
/// given) in front of the others. The cluster options set the keys of the
/// `cluster` object, adding one (with its defaults) if the file has none.
[[nodiscard]] Config apply_overrides(Config config, const CliOverrides& overrides);

/// What the command line asks for: run with a configuration, or exit.
struct CliOutcome {
  std::optional<Config> config;  ///< set: start the broker with this
  int exit_code = 0;             ///< when config is unset: exit with this
  std::string config_file;       ///< --config, read again on SIGHUP; "": none
  CliOverrides overrides;        ///< applied again to the file a reload reads
};

/// Parses the command line, loads the configuration and applies the
/// overrides. --help and --version print to `out` and give exit code 0;
/// errors print to `err` and give exit_usage or exit_bad_config.
/// Never throws for bad input.
[[nodiscard]] CliOutcome parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

/// "actormq <version> (TLS listeners: mbedtls; malloc: libc.so.6)" (or openssl,
/// libmimalloc.so.2: the file malloc comes from), as printed by --version.
[[nodiscard]] std::string version_text();

}  // namespace actormq::core
