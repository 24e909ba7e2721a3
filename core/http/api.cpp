#include "core/http/api.hpp"

#include "core/auth/security.hpp"
#include "core/http/api_bridges.hpp"
#include "core/http/api_clients.hpp"
#include "core/http/api_evacuate.hpp"
#include "core/http/api_node.hpp"
#include "core/http/api_reload.hpp"
#include "core/http/api_retained.hpp"
#include "core/http/api_write.hpp"
#include "core/http/dashboard_page.hpp"
#include "core/http/prometheus.hpp"

namespace actormq::core {

namespace {

constexpr std::string_view api_prefix = "/api/v1/";

// A resource and the methods it answers.
enum class Resource {
  none,
  status,
  nodes,
  node,
  stats,
  listeners,
  clients,
  client,
  client_subscriptions,
  subscriptions,
  publish,
  retained,
  retained_topic,
  bridges,
  bridge,
  reload,
  evacuate,
};

Resource resource_of(const std::vector<std::string>& s) {
  if (s.size() == 1) {
    if (s[0] == "status") {
      return Resource::status;
    }
    if (s[0] == "nodes") {
      return Resource::nodes;
    }
    if (s[0] == "stats") {
      return Resource::stats;
    }
    if (s[0] == "listeners") {
      return Resource::listeners;
    }
    if (s[0] == "clients") {
      return Resource::clients;
    }
    if (s[0] == "subscriptions") {
      return Resource::subscriptions;
    }
    if (s[0] == "publish") {
      return Resource::publish;
    }
    if (s[0] == "retained") {
      return Resource::retained;
    }
    if (s[0] == "bridges") {
      return Resource::bridges;
    }
    if (s[0] == "reload") {
      return Resource::reload;
    }
    if (s[0] == "evacuate") {
      return Resource::evacuate;
    }
  }
  if (s.size() == 2 && s[0] == "bridges" && !s[1].empty()) {
    return Resource::bridge;
  }
  if (s.size() == 2 && s[0] == "retained" && !s[1].empty()) {
    return Resource::retained_topic;  // the topic's '/' percent-encoded, as one segment
  }
  if (s.size() == 2 && s[0] == "nodes" && !s[1].empty()) {
    return Resource::node;
  }
  if (s.size() == 2 && s[0] == "clients" && !s[1].empty()) {
    return Resource::client;
  }
  if (s.size() == 3 && s[0] == "clients" && !s[1].empty() && s[2] == "subscriptions") {
    return Resource::client_subscriptions;
  }
  return Resource::none;
}

// The methods a resource answers, as an Allow header lists them.
std::string_view allowed(Resource res) {
  switch (res) {
    case Resource::client:
    case Resource::retained_topic:
      return "GET, DELETE";
    case Resource::publish:
    case Resource::reload:
      return "POST";
    case Resource::bridge:
      return "GET, POST";
    case Resource::evacuate:
      return "GET, POST, DELETE";
    default:
      return "GET";
  }
}

bool allows(std::string_view allow, std::string_view method) {
  while (!allow.empty()) {
    std::size_t comma = allow.find(", ");
    if (allow.substr(0, comma) == method) {
      return true;
    }
    allow = comma == std::string_view::npos ? std::string_view{} : allow.substr(comma + 2);
  }
  return false;
}

net::HttpResponse method_not_allowed(const net::HttpRequest& r, std::string_view allow) {
  net::HttpResponse resp = api_error(405, "method " + r.method + " not allowed on " + r.path);
  resp.headers.emplace_back("Allow", std::string(allow));
  return resp;
}

net::HttpResponse unauthorized() {
  net::HttpResponse resp = api_error(401, "a user of the listener's password_file is required (HTTP Basic auth)");
  resp.headers.emplace_back("WWW-Authenticate", "Basic realm=\"actormq\", charset=\"UTF-8\"");
  return resp;
}

ApiPlan metrics(const net::HttpRequest& r, const ApiEnv& env) {
  if (r.method != "GET") {
    return method_not_allowed(r, "GET");
  }
  net::HttpResponse resp;
  resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
  resp.body = prometheus_text(snapshot_metrics(env.ctx, env.site.started_ms));
  return resp;
}

ApiPlan route(Resource res, const std::vector<std::string>& s, const net::HttpRequest& r, const Query& query,
              const ApiEnv& env) {
  switch (res) {
    case Resource::status:
      return json_response(status_json(env));
    case Resource::nodes:
      return json_response(Json::array({node_json(env)}));
    case Resource::node:
      if (s[1] != env.site.node) {
        return api_error(404, "node " + s[1] + " not found");
      }
      return json_response(node_json(env));
    case Resource::stats:
      return json_response(stats_json(env));
    case Resource::listeners:
      return json_response(listeners_json(env));
    case Resource::clients:
      return list_clients(query, env);
    case Resource::client:
      return r.method == "DELETE" ? kick_client(s[1], env) : get_client(s[1], env);
    case Resource::client_subscriptions:
      return get_client_subscriptions(s[1], env);
    case Resource::subscriptions:
      return list_subscriptions(query, env);
    case Resource::publish:
      return publish(r.body, env);
    case Resource::retained:
      return list_retained(query, env);
    case Resource::retained_topic:
      return r.method == "DELETE" ? delete_retained(s[1], env) : get_retained(s[1], env);
    case Resource::bridges:
      return list_bridges(env);
    case Resource::bridge:
      return r.method == "POST" ? set_bridge(s[1], r.body, env) : get_bridge(s[1], env);
    case Resource::reload:
      return reload(env);
    case Resource::evacuate:
      if (r.method == "POST") {
        return start_evacuation(r.body, env);
      }
      return r.method == "DELETE" ? cancel_evacuation(env) : evacuation_status(env);
    case Resource::none:
      break;
  }
  return api_error(404, "no such resource");
}

}  // namespace

bool needs_user(const net::HttpRequest& r, const HttpSite& site) {
  if (r.path == "/metrics") {
    return site.metrics_auth;
  }
  return r.path != "/api/v1/status" && r.path.starts_with(api_prefix);
}

ApiPlan plan_request(const net::HttpRequest& r, const std::optional<Principal>& principal, const ApiEnv& env) {
  if (needs_user(r, env.site) && !principal) {
    return unauthorized();
  }
  if (auto file = dashboard_file(r.path)) {
    return r.method == "GET" ? std::move(*file) : method_not_allowed(r, "GET");
  }
  if (r.path == "/metrics") {
    return metrics(r, env);
  }
  auto segments = api_segments(r.target, api_prefix);
  if (!segments) {
    return api_error(404, "no such resource: " + r.path);
  }
  Resource res = resource_of(*segments);
  if (res == Resource::none) {
    return api_error(404, "no such resource: " + r.path);
  }
  if (!allows(allowed(res), r.method)) {
    return method_not_allowed(r, allowed(res));
  }
  if (r.method != "GET" && principal && !principal->admin) {
    return api_error(403, "user " + principal->user + " may only read (not in admin_users)");
  }
  auto query = query_of(r.query);
  if (!query) {
    return api_error(400, "malformed query string");
  }
  return route(res, *segments, r, *query, env);
}

}  // namespace actormq::core
