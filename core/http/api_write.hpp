#pragma once
// What an admin changes through the API at once: kicking a client
// (DELETE clients/{id}) and publishing a message (POST publish), routed as
// a client's publish is (the retainer for a retained one, then the local
// router). The publish body is parsed by a pure function, for the unit tests.

#include <string>

#include "core/http/api.hpp"
#include "core/limits.hpp"
#include "core/messages.hpp"

namespace actormq::core {

/// The publisher the API's messages carry (logs, the hash strategy).
inline constexpr std::string_view api_publisher = "http_api";

[[nodiscard]] ApiPlan kick_client(const std::string& client_id, const ApiEnv& env);
[[nodiscard]] ApiPlan publish(const std::string& body, const ApiEnv& env);

/// The message of a publish body, EMQX's shape: {"topic", "payload", "qos",
/// "retain", "encoding": "plain"|"base64", "properties": {...}}, checked as a
/// client's PUBLISH is (topic name, levels, retain available, packet size);
/// why not, naming the field.
[[nodiscard]] Result<AppMessagePtr> publish_message(const std::string& body, const Limits& limits);

}  // namespace actormq::core
