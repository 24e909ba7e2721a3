#include "core/ctl/ctl_args.hpp"

#include <ostream>

#include <CLI/CLI.hpp>

namespace actormq::core::ctl {

namespace {

constexpr const char* usage =
    "usage: actormq ctl [--config FILE] [--api URL] [--pid-file FILE] [--user U [--password P]] <command>\n"
    "commands:\n"
    "  status                   the node as its HTTP API reports it (counts need --user)\n"
    "  upgrade [--timeout S]    upgrade without downtime (SIGUSR2 to the pid_file's process) and wait\n"
    "                           until the new process serves and the old one has exited (default 60 s)\n"
    "  evacuate [NODE] [--redirect-to HOST:PORT] [--rate N] [--session-rate N] [--wait-takeover S]\n"
    "           [--migrate-to NODE,...] [--no-wait | --timeout S]\n"
    "                           empty a cluster node: refuse new clients, send its clients away (MQTT 5 to\n"
    "                           HOST:PORT), move its sessions to its peers; wait until it is empty\n"
    "                           (default 600 s)\n"
    "  evacuate --cancel        accept clients again\n";

}  // namespace

CtlParse parse_ctl_args(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                        const char* env_password) {
  CLI::App app{"actormq ctl: control a running broker", "actormq ctl"};
  app.require_subcommand(0, 1);
  app.allow_extras();  // reported below, naming the word
  app.footer("actormq ctl COMMAND --help: the command's options. Exit: 0 done, 1 failed, 2 bad arguments.");
  app.fallthrough();  // the general options after the command too
  CtlOptions o;
  std::string api;
  std::string pid_file;
  std::string password;
  app.add_option("-c,--config", o.config_file, "The broker's JSON configuration (its pid_file, its http listener)")
      ->type_name("FILE");
  auto* api_opt = app.add_option("--api", api, "The HTTP API, e.g. http://127.0.0.1:8081 (overrides the config)")
                      ->type_name("URL");
  auto* pid_opt = app.add_option("--pid-file", pid_file, "The broker's pid_file (overrides the config)")
                      ->type_name("FILE");
  app.add_option("-u,--user", o.user, "A user of the http listener's password_file")->type_name("USER");
  auto* password_opt =
      app.add_option("-P,--password", password, "Its password (else $ACTORMQ_CTL_PASSWORD)")->type_name("PASSWORD");
  app.add_subcommand("status", "Print the node's status (exit 1 if the broker does not answer)");
  CLI::App* upgrade = app.add_subcommand("upgrade", "Upgrade without downtime and wait for the outcome");
  upgrade->add_option("--timeout", o.timeout_s, "Seconds to wait for the outcome (default 60)")
      ->type_name("S")
      ->check(CLI::Range(0.1, 86400.0));
  CLI::App* evacuate = app.add_subcommand("evacuate", "Empty a cluster node and wait until it is");
  EvacuateOptions& e = o.evacuate;
  double evacuate_timeout = 600;
  evacuate->add_option("NODE", e.node, "The node's name, checked against the API's (optional)");
  evacuate->add_option("--redirect-to", e.redirect_to, "Where MQTT 5 clients are sent (Server Reference)")
      ->type_name("HOST:PORT");
  evacuate->add_option("--rate", e.rate, "Connections ended a second (default 500)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000000));
  evacuate->add_option("--session-rate", e.session_rate, "Sessions moved to peers a second (default 500)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000000));
  evacuate->add_option("--wait-takeover", e.wait_takeover_s,
                       "Seconds for clients to take their sessions elsewhere first (default 10)")
      ->type_name("S")
      ->check(CLI::Range(0, 3600));
  evacuate->add_option("--migrate-to", e.migrate_to, "The peers sessions may move to (default: all)")
      ->type_name("NODE,...")
      ->delimiter(',');
  bool no_wait_flag = false;
  bool cancel_flag = false;
  evacuate->add_flag("--no-wait", no_wait_flag, "Start it and return");
  evacuate->add_flag("--cancel", cancel_flag, "Cancel an evacuation: clients are accepted again");
  auto* evacuate_timeout_opt = evacuate->add_option("--timeout", evacuate_timeout, "Seconds to wait (default 600)")
                                   ->type_name("S")
                                   ->check(CLI::Range(0.1, 86400.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return CtlParse{std::nullopt, app.exit(e, out, err)};
  } catch (const CLI::ParseError& e) {
    err << "actormq ctl: " << e.what() << '\n' << usage;
    return CtlParse{std::nullopt, ctl_usage};
  }
  if (!app.remaining().empty() || upgrade->remaining_size() > 0 || evacuate->remaining_size() > 0) {
    const std::vector<std::string> extra = !app.remaining().empty()     ? app.remaining()
                                           : upgrade->remaining_size() > 0 ? upgrade->remaining()
                                                                           : evacuate->remaining();
    const bool option = extra.front().starts_with('-');
    err << "actormq ctl: " << (option ? "unknown option \"" : "unknown command \"") << extra.front() << "\"\n"
        << usage;
    return CtlParse{std::nullopt, ctl_usage};
  }
  if (app.get_subcommands().empty()) {
    err << "actormq ctl: no command given\n" << usage;
    return CtlParse{std::nullopt, ctl_usage};
  }
  o.command = upgrade->parsed() ? Command::upgrade : evacuate->parsed() ? Command::evacuate : Command::status;
  if (evacuate->parsed()) {
    e.wait = !no_wait_flag;
    e.cancel = cancel_flag;
    o.timeout_s = evacuate_timeout;
    const bool order =
        !e.redirect_to.empty() || e.rate || e.session_rate || e.wait_takeover_s || !e.migrate_to.empty();
    if (e.cancel && (order || no_wait_flag || *evacuate_timeout_opt)) {
      err << "actormq ctl: evacuate --cancel takes no other option\n" << usage;
      return CtlParse{std::nullopt, ctl_usage};
    }
    if (no_wait_flag && *evacuate_timeout_opt) {
      err << "actormq ctl: evacuate --no-wait and --timeout exclude each other\n" << usage;
      return CtlParse{std::nullopt, ctl_usage};
    }
  }
  if (*api_opt) {
    auto endpoint = parse_http_url(api);
    if (!endpoint) {
      err << "actormq ctl: --api: " << endpoint.error().text() << '\n' << usage;
      return CtlParse{std::nullopt, ctl_usage};
    }
    o.api = *endpoint;
  }
  if (*pid_opt) {
    o.pid_file = pid_file;
  }
  if (*password_opt) {
    o.password = password;
  } else if (env_password != nullptr) {
    o.password = env_password;
  }
  if (*password_opt && o.user.empty()) {
    err << "actormq ctl: --password needs --user\n" << usage;
    return CtlParse{std::nullopt, ctl_usage};
  }
  return CtlParse{std::move(o), ctl_ok};
}

}  // namespace actormq::core::ctl
