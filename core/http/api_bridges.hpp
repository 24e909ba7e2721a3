#pragma once
// The bridges resource: the list and one bridge, from the counters every
// registered BridgeControl reports (core/bridge_control.hpp), and switching
// one on or off at run time (POST {"enabled": bool}, admin). Not kept
// across a restart: the configuration decides again.

#include <string>

#include "core/bridge_control.hpp"
#include "core/http/api.hpp"

namespace actormq::core {

[[nodiscard]] ApiPlan list_bridges(const ApiEnv& env);
[[nodiscard]] ApiPlan get_bridge(const std::string& name, const ApiEnv& env);
[[nodiscard]] ApiPlan set_bridge(const std::string& name, const std::string& body, const ApiEnv& env);

/// A bridge as the API shows it.
[[nodiscard]] Json bridge_json(const BridgeView& view, const std::string& node);

}  // namespace actormq::core
