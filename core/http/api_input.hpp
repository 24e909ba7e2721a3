#pragma once
// What an API request brings, decoded: the path's segments, the query's
// parameters and paging, the Basic credentials, the filters of the list
// resources and the bodies of the requests that change things. Pure (no
// broker state, nothing of the connection), so the unit tests and the
// api_input fuzz target reach every decoder an unauthenticated or careless
// client can feed.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/evacuation.hpp"
#include "core/limits.hpp"
#include "core/messages.hpp"
#include "core/result.hpp"

namespace actormq::core {

/// The query parameters of a request; the first of repeated names wins.
using Query = std::map<std::string, std::string>;

/// The parameters of a raw query string ("a=1&b=%20"), percent-decoded;
/// nullopt if one is malformed.
[[nodiscard]] std::optional<Query> query_of(std::string_view raw);

struct Paging {
  std::size_t page = 1;    ///< 1-based
  std::size_t limit = 100; ///< entries per page, 1..max_page_limit
};
inline constexpr std::size_t max_page_limit = 10000;

/// `page` and `limit` of a query (defaults 1 and 100); why not, when malformed.
[[nodiscard]] Result<Paging> paging_of(const Query& query);

/// The path's segments after `prefix` ("/api/v1/"), each percent-decoded
/// (so an escaped '/' stays inside its segment); nullopt if the path does
/// not start with it or an escape is malformed.
[[nodiscard]] std::optional<std::vector<std::string>> api_segments(std::string_view target, std::string_view prefix);

/// The user and password of an Authorization header "Basic <base64>";
/// nullopt when it is not one.
[[nodiscard]] std::optional<std::pair<std::string, std::string>> parse_basic(std::string_view authorization);

/// Filters of GET clients: exact client id and username.
struct ClientFilter {
  std::optional<std::string> client_id;
  std::optional<std::string> username;
};
[[nodiscard]] ClientFilter client_filter_of(const Query& query);

/// Filters of GET subscriptions: exact client id, topic (as subscribed) and QoS.
struct SubscriptionFilter {
  std::optional<std::string> client_id;
  std::optional<std::string> topic;
  std::optional<int> qos;
};
/// Why not, when `qos` is not 0, 1 or 2.
[[nodiscard]] Result<SubscriptionFilter> subscription_filter_of(const Query& query);

/// The publisher the API's messages carry (logs, the hash strategy).
inline constexpr std::string_view api_publisher = "http_api";

/// The message of a publish body, EMQX's shape: {"topic", "payload", "qos",
/// "retain", "encoding": "plain"|"base64", "properties": {...}}, checked as a
/// client's PUBLISH is (topic name, levels, retain available, packet size);
/// why not, naming the field.
[[nodiscard]] Result<AppMessagePtr> publish_message(const std::string& body, const Limits& limits);

/// The `enabled` of a bridge change body {"enabled": true|false}, the only
/// field that may change at run time; why not, naming the field.
[[nodiscard]] Result<bool> bridge_enabled_of(const std::string& body);

/// The order of an evacuation body (POST /api/v1/evacuate), every field
/// optional: {"redirect_to": "host:port", "connection_rate": n,
/// "session_rate": n (per second, 1..1,000,000), "wait_takeover_s": s
/// (0..3600), "migrate_to": [node names]}; an empty body takes the defaults. Why not, naming the field.
[[nodiscard]] Result<EvacuationOrder> evacuation_order_of(const std::string& body);

}  // namespace actormq::core
