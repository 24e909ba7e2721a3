#pragma once
// /api/v1/evacuate: a node's evacuation (core/evacuation.hpp). POST (admin)
// starts it with the body's order (core/http/api_input.hpp
// evacuation_order_of; 400 naming a bad field) and answers 202; GET tells
// how far it is (phase "done": no session left here); DELETE (admin)
// cancels it: clients are accepted again.

#include <string>

#include "core/http/api.hpp"

namespace actormq::core {

[[nodiscard]] ApiPlan start_evacuation(const std::string& body, const ApiEnv& env);
[[nodiscard]] ApiPlan evacuation_status(const ApiEnv& env);
[[nodiscard]] ApiPlan cancel_evacuation(const ApiEnv& env);

}  // namespace actormq::core
