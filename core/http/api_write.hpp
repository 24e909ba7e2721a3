#pragma once
// What an admin changes through the API at once: kicking a client
// (DELETE clients/{id}) and publishing a message (POST publish), routed as
// a client's publish is (the retainer for a retained one, then the local
// router). The publish body is decoded in api_input.*.

#include <string>

#include "core/http/api.hpp"

namespace actormq::core {

[[nodiscard]] ApiPlan kick_client(const std::string& client_id, const ApiEnv& env);
[[nodiscard]] ApiPlan publish(const std::string& body, const ApiEnv& env);

}  // namespace actormq::core
