#include "core/config/cli.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <ostream>
#include <string_view>

#include <CLI/CLI.hpp>

#include "net/tls_context.hpp"

#ifndef ACTORMQ_VERSION
#define ACTORMQ_VERSION "0.1.0"
#endif

namespace actormq::core {
namespace {

ListenerConfig& first_tcp_listener(Config& config) {
  for (auto& listener : config.listeners) {
    if (listener.type == ListenerType::tcp) {
      return listener;
    }
  }
  // A listener made from the command line alone stays local, like the
  // no-file default; --bind opens it wider.
  ListenerConfig local(ListenerType::tcp);
  local.bind = "127.0.0.1";
  config.listeners.insert(config.listeners.begin(), std::move(local));
  return config.listeners.front();
}

// `cluster` with the cluster options applied; any of them makes one.
std::optional<ClusterConfig> override_cluster(std::optional<ClusterConfig> cluster, const CliOverrides& overrides) {
  if (!overrides.node_name && !overrides.cluster_port && !overrides.seeds && !overrides.cookie_file) {
    return cluster;
  }
  ClusterConfig c = cluster ? std::move(*cluster) : ClusterConfig{};
  if (overrides.node_name) {
    c.node_name = *overrides.node_name;
  }
  if (overrides.cluster_port) {
    c.port = *overrides.cluster_port;
  }
  if (overrides.seeds) {
    c.seeds = *overrides.seeds;
  }
  if (overrides.cookie_file) {
    // The file's inline cookie gives way too: a cluster has one cookie.
    c.cookie_file = *overrides.cookie_file;
    c.cookie.reset();
  }
  return c;
}

std::vector<std::string> durability_choices() { return {durability_names.begin(), durability_names.end()}; }

}  // namespace

namespace {
// The file malloc comes from in this process (README: Allocator): the build
// option links one, and this shows it is the one in use.
std::string malloc_source() {
  Dl_info info{};
  void* (*f)(std::size_t) = &std::malloc;
  if (dladdr(reinterpret_cast<void*>(f), &info) == 0 || info.dli_fname == nullptr) {
    return "linked in";  // a static binary: no shared object to name
  }
  std::string_view file = info.dli_fname;
  return std::string(file.substr(file.rfind('/') + 1));  // npos + 1 == 0: the whole name
}
}  // namespace

// With the TLS backend and the allocator: the same version is built several
// ways (README: TLS backends, Allocator).
std::string version_text() {
  return std::string("actormq ") + ACTORMQ_VERSION + " (TLS listeners: " + net::TlsContext::backend() +
         "; malloc: " + malloc_source() + ")";
}

Config apply_overrides(Config config, const CliOverrides& overrides) {
  if (overrides.bind || overrides.port) {
    ListenerConfig& listener = first_tcp_listener(config);
    if (overrides.bind) {
      listener.bind = *overrides.bind;
    }
    if (overrides.port) {
      listener.port = *overrides.port;
    }
  }
  if (overrides.data_dir) {
    config.data_dir = *overrides.data_dir;
  }
  if (overrides.durability) {
    config.durability = *overrides.durability;
  }
  if (overrides.verbose) {
    config.log_level = LogLevel::debug;
  }
  config.cluster = override_cluster(std::move(config.cluster), overrides);
  return config;
}

CliOutcome parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"actormq: an MQTT 3.1.1 and 5.0 broker", "actormq"};
  app.set_version_flag("--version", version_text());
  std::string config_file;
  std::string bind;
  std::int64_t port = 0;
  std::string data_dir;
  std::string durability;
  std::string node_name;
  std::int64_t cluster_port = 0;
  std::vector<std::string> seeds;
  std::string cookie_file;
  bool verbose = false;
  app.add_option("-c,--config", config_file, "JSON configuration file (default: built-in defaults)")
      ->type_name("FILE");
  auto* bind_opt = app.add_option("--bind", bind, "Address of the first tcp listener")->type_name("ADDR");
  auto* port_opt = app.add_option("-p,--port", port, "Port of the first tcp listener")
                       ->type_name("N")
                       ->check(CLI::Range(1, 65535));
  auto* dir_opt = app.add_option("--data-dir", data_dir, "Directory of the persistent store")->type_name("DIR");
  auto* durability_opt = app.add_option("--durability", durability, "When acknowledged messages reach the disk")
                             ->type_name("MODE")
                             ->check(CLI::IsMember(durability_choices()));
  auto* node_name_opt = app.add_option("--node-name", node_name, "This node's name in a cluster (cluster.node_name)")
                           ->type_name("NAME");
  auto* cluster_port_opt = app.add_option("--cluster-port", cluster_port, "Port of the node link (cluster.port)")
                               ->type_name("N")
                               ->check(CLI::Range(1, 65535));
  auto* seed_opt = app.add_option("--seed", seeds, "A node to connect to; repeat for more (replaces cluster.seeds)")
                       ->type_name("HOST:PORT")
                       ->allow_extra_args(false)
                       ->take_all();
  auto* cookie_file_opt =
      app.add_option("--cookie-file", cookie_file, "File holding the cluster's cookie (cluster.cookie_file)")
          ->type_name("FILE");
  app.add_flag("-v,--verbose", verbose, "Log at debug level");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return CliOutcome{std::nullopt, code == 0 ? 0 : exit_usage, {}, {}};
  }

  Result<Config> loaded = config_file.empty() ? Result<Config>(Config{}) : load_config(config_file);
  if (!loaded.ok()) {
    err << loaded.error().text() << '\n';
    return CliOutcome{std::nullopt, exit_bad_config, {}, {}};
  }

  CliOverrides overrides;
  if (*bind_opt) {
    overrides.bind = bind;
  }
  if (*port_opt) {
    overrides.port = port;
  }
  if (*dir_opt) {
    overrides.data_dir = data_dir;
  }
  if (*durability_opt) {
    for (std::size_t i = 0; i < durability_names.size(); ++i) {
      if (durability_names[i] == durability) {
        overrides.durability = static_cast<Durability>(i);
      }
    }
  }
  if (*node_name_opt) {
    overrides.node_name = node_name;
  }
  if (*cluster_port_opt) {
    overrides.cluster_port = cluster_port;
  }
  if (*seed_opt) {
    overrides.seeds = seeds;
  }
  if (*cookie_file_opt) {
    overrides.cookie_file = cookie_file;
  }
  overrides.verbose = verbose;

  Config config = apply_overrides(std::move(loaded).value(), overrides);
  // An override can break a rule the file kept, e.g. --port taking another listener's port.
  if (auto valid = validate_config(config); !valid) {
    for (const auto& e : valid.error().messages()) {
      err << "command line: " << e << '\n';
    }
    return CliOutcome{std::nullopt, exit_bad_config, {}, {}};
  }
  return CliOutcome{std::move(config), 0, config_file, std::move(overrides)};
}

}  // namespace actormq::core
