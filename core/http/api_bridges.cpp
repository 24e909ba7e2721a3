#include "core/http/api_bridges.hpp"

#include <optional>

namespace actormq::core {

namespace {

std::optional<BridgeView> find(const ApiEnv& env, const std::string& name) {
  for (BridgeView& v : env.ctx.bridges.views()) {
    if (v.name == name) {
      return std::move(v);
    }
  }
  return std::nullopt;
}

net::HttpResponse bridge_not_found(const std::string& name) { return api_error(404, "bridge " + name + " not found"); }

}  // namespace

Json bridge_json(const BridgeView& v, const std::string& node) {
  return Json{{"node", node},
              {"name", v.name},
              {"type", v.type},
              {"remote", v.remote},
              {"enabled", v.enabled},
              {"state", v.state},
              {"messages",
               {{"received", v.messages_received}, {"sent", v.messages_sent}, {"dropped", v.messages_dropped}}},
              {"buffered", {{"messages", v.buffered_messages}, {"bytes", v.buffered_bytes}}}};
}

ApiPlan list_bridges(const ApiEnv& env) {
  Json list = Json::array();
  for (const BridgeView& v : env.ctx.bridges.views()) {
    list.push_back(bridge_json(v, env.site.node));
  }
  return json_response(list);
}

ApiPlan get_bridge(const std::string& name, const ApiEnv& env) {
  auto view = find(env, name);
  if (!view) {
    return bridge_not_found(name);
  }
  return json_response(bridge_json(*view, env.site.node));
}

ApiPlan set_bridge(const std::string& name, const std::string& body, const ApiEnv& env) {
  auto enabled = bridge_enabled_of(body);
  if (!enabled) {
    return api_error(400, enabled.error().text());
  }
  if (!env.ctx.bridges.set_enabled(name, *enabled)) {
    return bridge_not_found(name);
  }
  return get_bridge(name, env);  // enabled as asked; the state follows as the bridge's process acts
}

}  // namespace actormq::core
