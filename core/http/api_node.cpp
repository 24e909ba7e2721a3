#include "core/http/api_node.hpp"

#include <unistd.h>

#include <fstream>

#include "core/clock.hpp"
#include "core/version.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

namespace {

std::int64_t uptime_s(const ApiEnv& env) {
  std::uint64_t now = wall_ms();
  return now > env.site.started_ms ? static_cast<std::int64_t>((now - env.site.started_ms) / 1000) : 0;
}

// Resident memory from /proc/self/statm (pages); 0 where there is none.
std::int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0;
  std::int64_t resident = 0;
  if (!(statm >> size >> resident)) {
    return 0;
  }
  return resident * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

Json status_json(const ApiEnv& env) {
  return Json{{"node", env.site.node}, {"status", "running"}, {"version", broker_version}, {"uptime", uptime_s(env)}};
}

Json node_json(const ApiEnv& env) {
  const Metrics& m = env.ctx.metrics;
  return Json{{"node", env.site.node},
              {"node_status", "running"},
              {"version", broker_version},
              {"uptime", uptime_s(env)},
              {"connections", m.get(Counter::clients_connected)},
              {"sessions", env.ctx.registry.size()},
              {"subscriptions", m.get(Counter::subscriptions)},
              {"retained", m.get(Counter::retained_messages)},
              {"process_count", env.ctx.runtime.process_count()},
              {"schedulers", env.ctx.runtime.scheduler_count()},
              {"memory_rss", resident_bytes()}};
}

Json stats_json(const ApiEnv& env) {
  const Metrics& m = env.ctx.metrics;
  return Json::array({Json{{"node", env.site.node},
                           {"connections.count", m.get(Counter::clients_connected)},
                           {"connections.max", m.get(Counter::clients_maximum)},
                           {"sessions.count", env.ctx.registry.size()},
                           {"subscriptions.count", m.get(Counter::subscriptions)},
                           {"retained.count", m.get(Counter::retained_messages)},
                           {"messages.received", m.get(Counter::messages_received)},
                           {"messages.sent", m.get(Counter::messages_sent)},
                           {"messages.dropped", m.get(Counter::publish_dropped)},
                           {"bytes.received", m.get(Counter::bytes_received)},
                           {"bytes.sent", m.get(Counter::bytes_sent)}}});
}

Json listeners_json(const ApiEnv& env) {
  Json list = Json::array();
  std::shared_ptr<const std::vector<ListenerView>> views = env.site.listeners.load();
  if (!views) {
    return list;
  }
  for (const ListenerView& l : *views) {
    list.push_back(Json{{"node", env.site.node},
                        {"id", l.type + ":" + l.bind + ":" + std::to_string(l.port)},
                        {"type", l.type},
                        {"bind", l.bind},
                        {"port", l.port},
                        {"running", true},
                        {"current_connections", l.shared ? l.shared->open.load(std::memory_order_relaxed) : 0},
                        {"max_connections", l.max_connections}});
  }
  return list;
}

}  // namespace actormq::core
