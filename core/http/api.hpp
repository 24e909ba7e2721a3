#pragma once
// The routes of the HTTP API: `/api/v1/...` and `/metrics`, authentication
// and roles first, then the resource. A request is answered at once from
// thread-safe state (counters, the registry's entries), or after asking
// sessions what only they know: then the plan is a Gather, which the
// connection's process carries out by message (core/client_info.hpp) and
// finishes with the answers that came. Nothing here blocks a scheduler or
// reads another process's state.

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/broker_context.hpp"
#include "core/client_info.hpp"
#include "core/http/api_auth.hpp"
#include "core/http/api_json.hpp"
#include "core/http/http_site.hpp"
#include "net/http_request.hpp"
#include "net/http_response.hpp"
#include "sched/pid.hpp"

namespace actormq::core {

/// Ask `targets` (sessions) for their ClientInfo, then build the response
/// from the answers (in any order; a session that ended meanwhile is
/// missing from them).
struct Gather {
  std::vector<sched::Pid> targets;
  bool with_subscriptions = false;
  std::function<net::HttpResponse(std::vector<ClientInfo>)> finish;
};

using ApiPlan = std::variant<net::HttpResponse, Gather>;

/// What a request may use of the broker.
struct ApiEnv {
  BrokerContext& ctx;
  const HttpSite& site;
};

/// What a request needs before routing: whether it must carry a user.
[[nodiscard]] bool needs_user(const net::HttpRequest& request, const HttpSite& site);

/// Routes one request from `principal` (nullopt: nobody we know, checked by
/// the caller only when needs_user says so).
[[nodiscard]] ApiPlan plan_request(const net::HttpRequest& request, const std::optional<Principal>& principal,
                                   const ApiEnv& env);

/// The path's segments after `prefix` ("/api/v1/"), each percent-decoded
/// (so an escaped '/' stays inside its segment); nullopt if the path does
/// not start with it or an escape is malformed.
[[nodiscard]] std::optional<std::vector<std::string>> api_segments(std::string_view target, std::string_view prefix);

}  // namespace actormq::core
