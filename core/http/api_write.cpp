#include "core/http/api_write.hpp"

#include "core/store/persistence.hpp"

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
  auto decoded = publish_message(body, env.ctx.limits.get());
  if (!decoded) {
    return api_error(400, decoded.error().text());
  }
  // Tied to the store before it is shared: stored once, whoever queues it.
  AppMessagePtr msg = attach_to_store(std::move(*decoded), env.ctx.store);
  Tell t;
  if (msg->retain) {
    t.messages.emplace_back(env.ctx.retainer, sched::make_message<RetainStore>(RetainStore{msg, {}}));
  }
  t.response = json_response(Json{{"topic", msg->topic},
                                  {"qos", static_cast<int>(msg->qos)},
                                  {"retain", msg->retain},
                                  {"payload_bytes", msg->payload.size()}});
  t.messages.emplace_back(env.ctx.routers.local(), sched::make_message<RoutePublish>(RoutePublish{msg, {}}));
  return t;
}

}  // namespace actormq::core
