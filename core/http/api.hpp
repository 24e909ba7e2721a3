#pragma once
// The routes of the HTTP API: `/api/v1/...`, `/metrics` and the dashboard
// (core/http/dashboard_page.hpp), authentication
// and roles first, then the resource. A request is answered at once from
// thread-safe state (counters, the registry's entries), or after asking
// sessions what only they know: then the plan is a Gather, which the
// connection's process carries out by message (core/client_info.hpp) and
// finishes with the answers that came; or after asking one process (the
// retainer) a question (an Ask); or, for what changes things, once the
// messages that do it are sent (a Tell); or once a thread of the broker
// did what may not run on a scheduler (a Run). Nothing here blocks a scheduler or
// reads another process's state.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/broker_context.hpp"
#include "core/client_info.hpp"
#include "core/http/api_auth.hpp"
#include "core/http/api_json.hpp"
#include "core/http/http_site.hpp"
#include "net/http_request.hpp"
#include "net/http_response.hpp"
#include "sched/message.hpp"
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

/// Send `messages` (no answer awaited), then respond with `response`.
struct Tell {
  std::vector<std::pair<sched::Pid, sched::MessagePtr>> messages;
  net::HttpResponse response;
};

/// Send `to` the message `question` makes (it carries the connection's pid
/// and a tag for the answer), then build the response from the answer:
/// a message whose tag the connection recognises (HttpConnection::on_message).
/// No answer within the gather timeout: 503.
struct Ask {
  sched::Pid to;
  std::function<sched::MessagePtr(sched::Pid reply_to, std::uint64_t tag)> question;
  std::function<net::HttpResponse(sched::Message& answer)> finish;
};

/// Work that must not run on a scheduler (a reload waits for listener
/// processes): `start` hands it to a thread of the broker, which sends the
/// connection (`reply_to`) a message with `tag` when it is done; then
/// respond with `finish` of that message. `start` false (the work is
/// already running for another request): respond with `busy`. No answer
/// within run_timeout_ms: 503.
struct Run {
  std::function<bool(sched::Pid reply_to, std::uint64_t tag)> start;
  std::function<net::HttpResponse(sched::Message& answer)> finish;
  net::HttpResponse busy;
};

using ApiPlan = std::variant<net::HttpResponse, Gather, Tell, Ask, Run>;

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

}  // namespace actormq::core
