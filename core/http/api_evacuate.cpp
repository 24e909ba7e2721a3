#include "core/http/api_evacuate.hpp"

#include "core/http/api_input.hpp"

namespace actormq::core {

namespace {

Json evacuation_json(const ApiEnv& env) {
  EvacuationStatus s = env.ctx.evacuation.status(env.ctx.registry);
  Json j{{"node", env.site.node},
         {"phase", std::string(phase_name(s.phase))},
         {"evacuating", s.phase != EvacuationPhase::idle},
         {"sessions_left", s.sessions_left},
         {"connections", env.ctx.connections.load(std::memory_order_relaxed)},
         {"disconnected", s.disconnected},
         {"moves_asked", s.moves_asked},
         {"peers", s.peers}};
  if (s.phase != EvacuationPhase::idle) {
    j["started_at_ms"] = s.started_ms;
    j["redirect_to"] = s.order.server_reference;
    j["connection_rate"] = s.order.connection_rate;
    j["session_rate"] = s.order.session_rate;
    j["wait_takeover_s"] = s.order.wait_takeover_ms / 1000;
    j["migrate_to"] = s.order.migrate_to;
  }
  return j;
}

}  // namespace

ApiPlan start_evacuation(const std::string& body, const ApiEnv& env) {
  auto order = evacuation_order_of(body);
  if (!order) {
    return api_error(400, order.error().text());
  }
  env.ctx.evacuation.start(env.ctx.runtime, env.ctx.registry, std::move(*order));
  return json_response(evacuation_json(env), 202);
}

ApiPlan evacuation_status(const ApiEnv& env) { return json_response(evacuation_json(env)); }

ApiPlan cancel_evacuation(const ApiEnv& env) {
  env.ctx.evacuation.cancel(env.ctx.runtime);
  return json_response(evacuation_json(env));
}

}  // namespace actormq::core
