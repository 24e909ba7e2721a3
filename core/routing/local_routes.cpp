#include "core/routing/local_routes.hpp"

namespace actormq::core {

void LocalRoutes::add(std::string_view filter, sched::Pid session, const SubInfo& info, sched::Pid replaces) {
  auto held = locks_.all();
  if (replaces.valid()) {
    table_.erase(filter, replaces);
  }
  table_.insert(filter, session, info);
  routes_.store(table_.route_count(), std::memory_order_relaxed);
}

void LocalRoutes::remove(std::string_view filter, sched::Pid session) {
  auto held = locks_.all();
  table_.erase(filter, session);
  routes_.store(table_.route_count(), std::memory_order_relaxed);
}

}  // namespace actormq::core
