#pragma once
// The retained messages resource: the list (by filter, paged), one topic's
// message, and deleting it. Only the retainer holds them: each request is an
// Ask (RetainDump with a filter, or RetainErase), answered once the stored
// ones are loaded. Entries are pure JSON, for the unit tests.

#include <string>
#include <vector>

#include "core/http/api.hpp"
#include "core/messages.hpp"

namespace actormq::core {

[[nodiscard]] ApiPlan list_retained(const Query& query, const ApiEnv& env);
[[nodiscard]] ApiPlan get_retained(const std::string& topic, const ApiEnv& env);
[[nodiscard]] ApiPlan delete_retained(const std::string& topic, const ApiEnv& env);

/// A retained message as the API shows it; `with_payload` adds its payload
/// (base64) and v5 properties, as the detail does.
[[nodiscard]] Json retained_json(const AppMessage& msg, const std::string& node, bool with_payload);
/// The page of `messages`, sorted by topic.
[[nodiscard]] Json retained_page(std::vector<AppMessagePtr> messages, const Paging& paging, const std::string& node);

}  // namespace actormq::core
