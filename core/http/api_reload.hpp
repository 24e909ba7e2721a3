#pragma once
// POST /api/v1/reload (admin only): what SIGHUP does, run on a thread of the
// broker through BrokerContext::reload (never on a scheduler: a reload waits
// for listener processes). 200 with what changed, what needs a restart and
// what failed; 400 when the file does not read, parse or validate (nothing
// changed); 409 when a reload is already running, or the broker has no file.

#include <cstdint>

#include "core/http/api.hpp"
#include "core/reload_report.hpp"

namespace actormq::core {

/// What the reload thread sends the connection that asked.
struct ReloadDone {
  std::uint64_t tag;
  ReloadReport report;
};

[[nodiscard]] ApiPlan reload(const ApiEnv& env);

/// The response to a finished reload.
[[nodiscard]] net::HttpResponse reload_response(const ReloadReport& report);

}  // namespace actormq::core
