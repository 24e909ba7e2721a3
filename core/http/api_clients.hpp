#pragma once
// The clients and subscriptions resources: which sessions to ask (from the
// registry's entries) and, from their answers, the JSON. The JSON builders
// are pure, for the unit tests.

#include <string>
#include <vector>

#include "core/http/api.hpp"

namespace actormq::core {

[[nodiscard]] ApiPlan list_clients(const Query& query, const ApiEnv& env);
[[nodiscard]] ApiPlan get_client(const std::string& client_id, const ApiEnv& env);
[[nodiscard]] ApiPlan get_client_subscriptions(const std::string& client_id, const ApiEnv& env);
[[nodiscard]] ApiPlan list_subscriptions(const Query& query, const ApiEnv& env);

/// The page of `infos` that pass `filter`, sorted by client id; `count`
/// overrides the total when the page was asked for alone (nullopt: the
/// number that pass).
[[nodiscard]] Json clients_page(std::vector<ClientInfo> infos, const ClientFilter& filter, const Paging& paging,
                                const std::string& node, std::optional<std::size_t> count = std::nullopt);
/// The page of every subscription of `infos` that passes `filter`, sorted by
/// client id then topic.
[[nodiscard]] Json subscriptions_page(const std::vector<ClientInfo>& infos, const SubscriptionFilter& filter,
                                      const Paging& paging, const std::string& node);

}  // namespace actormq::core
