#include "core/http/api_write.hpp"


namespace actormq::core {

ApiPlan kick_client(const std::string& client_id, const ApiEnv& env) {
  auto pid = env.ctx.registry.find(client_id);
  if (!pid) {
    return api_error(404, "client " + client_id + " not found");
  }
  Tell t;
  t.messages.emplace_back(*pid, sched::make_message<Kick>());
  t.response.status = 204;
  return t;
}

ApiPlan publish(const std::string& body, const ApiEnv& env) {
  auto msg = publish_message(body, env.ctx.limits.get());
  if (!msg) {
    return api_error(400, msg.error().text());
  }
  Tell t;
  if ((*msg)->retain) {
    t.messages.emplace_back(env.ctx.retainer, sched::make_message<RetainStore>(RetainStore{*msg, {}}));
  }
  t.response = json_response(Json{{"topic", (*msg)->topic},
                                  {"qos", static_cast<int>((*msg)->qos)},
                                  {"retain", (*msg)->retain},
                                  {"payload_bytes", (*msg)->payload.size()}});
  t.messages.emplace_back(env.ctx.routers.local(), sched::make_message<RoutePublish>(RoutePublish{*msg, {}}));
  return t;
}

}  // namespace actormq::core
