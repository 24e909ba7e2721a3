#pragma once
// `actormq ctl`: the operator's command (ctl_args.hpp for its command line).
// Each command is a function of its own file over a `Target`: the broker as
// the config file or the options name it.

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>

#include "core/ctl/ctl_args.hpp"
#include "core/ctl/http_client.hpp"
#include "core/result.hpp"

namespace actormq::core::ctl {

/// The broker a command talks to.
struct Target {
  std::optional<HttpEndpoint> api;  ///< unset: api_missing says why
  std::string api_missing;
  std::string pid_file;       ///< "": none configured
  std::string authorization;  ///< the Authorization header's value; "": none
  std::chrono::milliseconds request_timeout{5000};
};

/// The target of `o`: the config file (if any) read as the broker reads it,
/// then --api and --pid-file over it. An http listener bound to a wildcard
/// address is reached on loopback.
[[nodiscard]] Result<Target> find_target(const CtlOptions& o);

/// `ctl status`: GET /api/v1/status, and with a user /api/v1/nodes too.
[[nodiscard]] int ctl_status(const Target& t, std::ostream& out, std::ostream& err);
/// `ctl upgrade`: SIGUSR2 to the pid_file's process, then the outcome.
[[nodiscard]] int ctl_upgrade(const Target& t, double timeout_s, std::ostream& out, std::ostream& err);

/// `ctl evacuate`: POST /api/v1/evacuate, then its progress until the node
/// is empty (or DELETE with --cancel).
[[nodiscard]] int ctl_evacuate(const Target& t, const EvacuateOptions& e, double timeout_s, std::ostream& out,
                               std::ostream& err);

/// `actormq ctl ...`, argv[0] being "ctl": the process's exit code.
[[nodiscard]] int run_ctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace actormq::core::ctl
