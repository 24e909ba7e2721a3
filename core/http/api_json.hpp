#pragma once
// The JSON shapes of the API, as EMQX's v5 API has them: a paged list is
// {"data": [...], "meta": {"page", "limit", "count"}}, an error is
// {"code": "NOT_FOUND", "message": "..."}, and every entry that belongs to a
// node names it in a "node" field, so cluster-wide views need no new shape.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/client_info.hpp"
#include "core/http/api_input.hpp"
#include "core/result.hpp"
#include "net/http_response.hpp"

namespace actormq::core {

using Json = nlohmann::json;

/// The entries of page `paging` of `all`, with the count of all of them.
[[nodiscard]] Json paged(std::vector<Json> all, const Paging& paging);

/// A 200 (or `status`) response with `body` as JSON.
[[nodiscard]] net::HttpResponse json_response(const Json& body, int status = 200);
/// An error response: {"code": <the status's code>, "message": message}.
[[nodiscard]] net::HttpResponse api_error(int status, std::string message);
/// The code of an error status: "BAD_REQUEST", "NOT_FOUND", ...
[[nodiscard]] std::string_view error_code(int status);

/// A client as the clients resource lists it.
[[nodiscard]] Json client_json(const ClientInfo& info, const std::string& node);
/// One subscription of `client_id`.
[[nodiscard]] Json subscription_json(const std::string& client_id, const ClientSubscription& sub,
                                     const std::string& node);

}  // namespace actormq::core
