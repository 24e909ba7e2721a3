// `actormq ctl status`: what the node's API says of it, one field a line.
#include <algorithm>
#include <array>
#include <iomanip>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/ctl/ctl.hpp"

namespace actormq::core::ctl {

namespace {

using Json = nlohmann::json;

std::string duration_text(std::int64_t s) {
  std::ostringstream out;
  if (s >= 86400) {
    out << s / 86400 << "d ";
  }
  if (s >= 3600) {
    out << (s % 86400) / 3600 << "h ";
  }
  if (s >= 60) {
    out << (s % 3600) / 60 << "m ";
  }
  out << s % 60 << "s";
  return out.str();
}

std::string value_text(const std::string& key, const Json& v) {
  if (key == "uptime" && v.is_number_integer()) {
    return duration_text(v.get<std::int64_t>());
  }
  if (key == "memory_rss" && v.is_number()) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(1) << v.get<double>() / (1024.0 * 1024.0) << " MiB";
    return out.str();
  }
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// GET `path` as JSON; a failure says what went wrong, in the operator's words.
Result<Json> get_json(const Target& t, const std::string& path) {
  auto reply = http_exchange(*t.api, HttpRequest{"GET", path, t.authorization, ""}, t.request_timeout);
  if (!reply) {
    return Failure{"the broker's HTTP API does not answer: " + reply.error().text()};
  }
  if (reply->status == 401 || reply->status == 403) {
    return Failure{t.api->url() + path + ": HTTP " + std::to_string(reply->status) +
                   (t.authorization.empty() ? ": this needs --user and --password"
                                            : ": the user or the password is not accepted")};
  }
  Json body = Json::parse(reply->body, nullptr, false);
  if (reply->status != 200 || body.is_discarded()) {
    return Failure{t.api->url() + path + ": HTTP " + std::to_string(reply->status) + ": " +
                   reply->body.substr(0, 200)};
  }
  return body;
}

// Who and what first, then the counts (the JSON object's keys are sorted).
void print_fields(const Json& object, std::ostream& out) {
  static const std::array<std::string, 5> first{"node", "status", "node_status", "version", "uptime"};
  auto line = [&out](const std::string& key, const Json& value) {
    out << std::left << std::setw(15) << key << value_text(key, value) << '\n';
  };
  for (const std::string& key : first) {
    if (object.contains(key)) {
      line(key, object[key]);
    }
  }
  for (const auto& [key, value] : object.items()) {
    if (std::find(first.begin(), first.end(), key) == first.end()) {
      line(key, value);
    }
  }
}

}  // namespace

int ctl_status(const Target& t, std::ostream& out, std::ostream& err) {
  if (!t.api) {
    err << "actormq ctl: " << t.api_missing << '\n';
    return ctl_failed;
  }
  auto status = get_json(t, "/api/v1/status");
  if (!status) {
    err << "actormq ctl: " << status.error().text() << '\n';
    return ctl_failed;
  }
  if (!status->is_object()) {
    err << "actormq ctl: " << t.api->url() << "/api/v1/status: unexpected answer " << status->dump().substr(0, 200)
        << '\n';
    return ctl_failed;
  }
  if (t.authorization.empty()) {
    print_fields(*status, out);
    out << "(--user and --password for the counts)\n";
    return ctl_ok;
  }
  auto nodes = get_json(t, "/api/v1/nodes");
  if (!nodes) {
    err << "actormq ctl: " << nodes.error().text() << '\n';
    return ctl_failed;
  }
  if (!nodes->is_array() || nodes->empty() || !(*nodes)[0].is_object()) {
    err << "actormq ctl: " << t.api->url() << "/api/v1/nodes: unexpected answer " << nodes->dump().substr(0, 200)
        << '\n';
    return ctl_failed;
  }
  print_fields((*nodes)[0], out);
  return ctl_ok;
}

}  // namespace actormq::core::ctl
