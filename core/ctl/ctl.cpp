#include "core/ctl/ctl.hpp"

#include <cstdlib>
#include <ostream>

#include "core/config/config.hpp"

namespace actormq::core::ctl {

namespace {

// Where a client reaches a listener bound to `bind`.
std::string reachable_host(const std::string& bind) {
  if (bind.empty() || bind == "0.0.0.0") {
    return "127.0.0.1";
  }
  if (bind == "::") {
    return "::1";
  }
  return bind;
}

void api_from_config(const Config& config, Target& t) {
  bool https = false;
  for (const ListenerConfig& l : config.listeners) {
    if (l.type == ListenerType::http) {
      t.api = HttpEndpoint{reachable_host(l.bind), static_cast<std::uint16_t>(l.port)};
      return;
    }
    https = https || l.type == ListenerType::https;
  }
  t.api_missing = https ? "the config's API listeners are https only, which actormq ctl does not speak; "
                          "give --api with an http listener"
                        : "no HTTP API: give --api URL, or --config with an http listener";
}

}  // namespace

Result<Target> find_target(const CtlOptions& o) {
  Config config;
  if (!o.config_file.empty()) {
    auto loaded = load_config(o.config_file);
    if (!loaded) {
      return std::move(loaded).error();
    }
    config = std::move(loaded).value();
  }
  Target t;
  if (o.api) {
    t.api = o.api;
  } else {
    api_from_config(config, t);
  }
  t.pid_file = o.pid_file.value_or(config.pid_file);
  if (!o.user.empty()) {
    t.authorization = basic_authorization(o.user, o.password);
  }
  return t;
}

int run_ctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CtlParse parsed = parse_ctl_args(argc, argv, out, err, std::getenv("ACTORMQ_CTL_PASSWORD"));
  if (!parsed.options) {
    return parsed.exit_code;
  }
  const CtlOptions& o = *parsed.options;
  auto target = find_target(o);
  if (!target) {
    err << "actormq ctl: " << target.error().text() << '\n';
    return ctl_failed;
  }
  switch (o.command) {
    case Command::status:
      return ctl_status(*target, out, err);
    case Command::upgrade:
      return ctl_upgrade(*target, o.timeout_s, out, err);
    case Command::evacuate:
      return ctl_evacuate(*target, o.evacuate, o.timeout_s, out, err);
  }
  return ctl_usage;
}

}  // namespace actormq::core::ctl
