#include "core/routing/local_routes.hpp"

namespace actormq::core {

bool LocalRoutes::add(const SharedText& filter, sched::Pid session, const SubInfo& info, sched::Pid replaces) {
  auto held = locks_.all();
  const bool had = table_.routes(filter.view()) != nullptr;
  if (replaces.valid()) {
    table_.erase(filter.view(), replaces);
  }
  table_.insert(filter, session, info);
  routes_.store(table_.route_count(), std::memory_order_relaxed);
  return !had;
}

bool LocalRoutes::remove(std::string_view filter, sched::Pid session) {
  auto held = locks_.all();
  if (!table_.erase(filter, session)) {
    return false;
  }
  routes_.store(table_.route_count(), std::memory_order_relaxed);
  return table_.routes(filter) == nullptr;
}

bool LocalRoutes::has_filter(std::string_view filter) const {
  auto held = locks_.all();
  return table_.routes(filter) != nullptr;
}

std::vector<std::string> LocalRoutes::filters() const {
  auto held = locks_.all();
  std::vector<std::string> out;
  out.reserve(table_.filter_count());
  table_.for_each([&](std::string_view filter, const sched::Pid&, const SubInfo&) {
    if (out.empty() || filter != out.back()) {  // a filter's routes come together
      out.emplace_back(filter);
    }
  });
  return out;
}

}  // namespace actormq::core
