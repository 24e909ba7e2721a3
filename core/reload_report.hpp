#pragma once
// What a reload of the configuration did (SIGHUP, POST /api/v1/reload):
// what it put in force, what it left for a restart, and what failed. The
// Broker fills it (core/broker.hpp reconfigure), the composition root adds
// the services' part (embed/), the HTTP API answers with it.

#include <string>
#include <vector>

namespace actormq::core {

struct ReloadReport {
  /// False: the file did not read, parse or validate; nothing changed and
  /// `errors` says why.
  bool file_ok = true;
  /// What changed: top-level keys ("log_level"), listeners ("listener tcp
  /// 127.0.0.1:1884: opened"), files read again.
  std::vector<std::string> changed;
  /// Keys whose new value needs a restart; their running value stays.
  std::vector<std::string> needs_restart;
  /// What failed, one sentence each; each failed part keeps its previous
  /// settings (a listener that could not open is not running).
  std::vector<std::string> errors;
};

}  // namespace actormq::core
