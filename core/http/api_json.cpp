#include "core/http/api_json.hpp"

#include <algorithm>
#include <charconv>

namespace actormq::core {

namespace {

// "address:port" (IPv6 in brackets) into its two parts.
std::pair<std::string, int> split_peer(const std::string& peer) {
  std::size_t colon = peer.rfind(':');
  if (colon == std::string::npos) {
    return {peer, 0};
  }
  std::string address = peer.substr(0, colon);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  int port = 0;
  std::from_chars(peer.data() + colon + 1, peer.data() + peer.size(), port);
  return {address, port};
}

std::string_view proto_name(std::uint8_t version) { return version == 3 ? "MQIsdp" : "MQTT"; }

}  // namespace

Json paged(std::vector<Json> all, const Paging& paging) {
  Json data = Json::array();
  std::size_t first = (paging.page - 1) * paging.limit;
  for (std::size_t i = first; i < all.size() && i < first + paging.limit; ++i) {
    data.push_back(std::move(all[i]));
  }
  return Json{{"data", std::move(data)},
              {"meta", {{"page", paging.page}, {"limit", paging.limit}, {"count", all.size()}}}};
}

net::HttpResponse json_response(const Json& body, int status) {
  net::HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  // Invalid UTF-8 in a client id or topic is shown replaced, not refused.
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

std::string_view error_code(int status) {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "METHOD_NOT_ALLOWED";
    case 408:
      return "REQUEST_TIMEOUT";
    case 409:
      return "CONFLICT";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 431:
      return "HEADERS_TOO_LARGE";
    case 503:
      return "SERVICE_UNAVAILABLE";
    default:
      return "INTERNAL_ERROR";
  }
}

net::HttpResponse api_error(int status, std::string message) {
  return json_response(Json{{"code", error_code(status)}, {"message", std::move(message)}}, status);
}

Json client_json(const ClientInfo& info, const std::string& node) {
  auto [address, port] = split_peer(info.peer);
  Json j{{"node", node},
         {"clientid", info.client_id},
         {"username", info.has_username ? Json(info.username) : Json(nullptr)},
         {"connected", info.connected},
         {"proto_name", proto_name(info.proto_ver)},
         {"proto_ver", info.proto_ver},
         {"keepalive", info.keepalive},
         {"clean_start", info.clean_start},
         {"expiry_interval", info.expiry_interval},
         {"subscriptions_cnt", info.subscriptions_cnt},
         {"inflight_cnt", info.inflight_cnt},
         {"mqueue_len", info.mqueue_len},
         {"listener", info.listener}};
  if (info.connected && !info.peer.empty()) {
    j["ip_address"] = address;
    j["port"] = port;
    j["transport"] = info.transport;
  } else {
    j["ip_address"] = nullptr;
    j["port"] = nullptr;
    j["transport"] = nullptr;
  }
  return j;
}

Json subscription_json(const std::string& client_id, const ClientSubscription& sub, const std::string& node) {
  Json j{{"node", node},
         {"clientid", client_id},
         {"topic", sub.topic},
         {"qos", sub.qos},
         {"nl", sub.no_local ? 1 : 0},
         {"rap", sub.retain_as_published ? 1 : 0}};
  if (sub.subscription_id != 0) {
    j["subid"] = sub.subscription_id;
  }
  return j;
}

}  // namespace actormq::core
