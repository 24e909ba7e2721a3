// `actormq ctl evacuate`: empties a cluster node through its HTTP API
// (POST /api/v1/evacuate, core/evacuation.hpp), then follows its progress
// (GET, a line whenever it changes) until no session is left on it.
#include <iomanip>
#include <ostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/ctl/ctl.hpp"

namespace actormq::core::ctl {

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr auto poll_every = std::chrono::milliseconds(500);

// `method path` with `body`: the reply's JSON, or what went wrong.
Result<Json> call(const Target& t, const std::string& method, const std::string& path, const std::string& body,
                  int expected) {
  auto reply = http_exchange(*t.api, HttpRequest{method, path, t.authorization, body}, t.request_timeout);
  if (!reply) {
    return Failure{"the broker's HTTP API does not answer: " + reply.error().text()};
  }
  Json j = Json::parse(reply->body, nullptr, false);
  if (reply->status != expected || j.is_discarded()) {
    std::string why = !j.is_discarded() && j.is_object() && j.contains("message") && j["message"].is_string()
                          ? j["message"].get<std::string>()
                          : reply->body.substr(0, 200);
    return Failure{method + " " + t.api->url() + path + ": HTTP " + std::to_string(reply->status) + ": " + why};
  }
  return j;
}

std::uint64_t count(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

std::string text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string progress(const Json& s) {
  std::ostringstream out;
  out << "phase " << text(s, "phase") << ": " << count(s, "sessions_left") << " session(s) left, "
      << count(s, "disconnected") << " connection(s) ended, " << count(s, "moves_asked") << " move(s) asked of "
      << count(s, "peers") << " peer(s)";
  return out.str();
}

std::string order_body(const EvacuateOptions& e) {
  Json order = Json::object();
  if (!e.redirect_to.empty()) {
    order["redirect_to"] = e.redirect_to;
  }
  if (e.rate) {
    order["connection_rate"] = *e.rate;
  }
  if (e.session_rate) {
    order["session_rate"] = *e.session_rate;
  }
  if (e.wait_takeover_s) {
    order["wait_takeover_s"] = *e.wait_takeover_s;
  }
  if (!e.migrate_to.empty()) {
    order["migrate_to"] = e.migrate_to;
  }
  return order.dump();
}

}  // namespace

int ctl_evacuate(const Target& t, const EvacuateOptions& e, double timeout_s, std::ostream& out,
                 std::ostream& err) {
  if (!t.api) {
    err << "actormq ctl: " << t.api_missing << '\n';
    return ctl_failed;
  }
  if (t.authorization.empty()) {
    err << "actormq ctl: evacuate needs --user and --password (a user in the listener's admin_users)\n";
    return ctl_failed;
  }
  auto status = call(t, "GET", "/api/v1/status", "", 200);
  if (!status) {
    err << "actormq ctl: " << status.error().text() << '\n';
    return ctl_failed;
  }
  const std::string node = text(*status, "node");
  if (!e.node.empty() && e.node != node) {
    err << "actormq ctl: " << t.api->url() << " is node " << node << ", not " << e.node << "; nothing done\n";
    return ctl_failed;
  }
  if (e.cancel) {
    auto cancelled = call(t, "DELETE", "/api/v1/evacuate", "", 200);
    if (!cancelled) {
      err << "actormq ctl: " << cancelled.error().text() << '\n';
      return ctl_failed;
    }
    out << node << ": evacuation cancelled; clients are accepted again\n";
    return ctl_ok;
  }
  auto started = call(t, "POST", "/api/v1/evacuate", order_body(e), 202);
  if (!started) {
    err << "actormq ctl: " << started.error().text() << '\n';
    return ctl_failed;
  }
  out << node << ": evacuating; new clients are refused"
      << (e.redirect_to.empty() ? "" : ", MQTT 5 clients are sent to " + e.redirect_to) << '\n';
  if (!e.wait) {
    return ctl_ok;
  }
  const auto begin = Clock::now();
  const auto deadline = begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  std::string last;
  Json s = *started;
  while (true) {
    std::string line = progress(s);
    if (line != last) {
      out << node << ": " << line << '\n' << std::flush;
      last = line;
    }
    const std::string phase = text(s, "phase");
    if (phase == "done") {
      auto took = std::chrono::duration<double>(Clock::now() - begin).count();
      out << node << " is empty after " << std::fixed << std::setprecision(1) << took
          << " s: it may be stopped; evacuate --cancel lets clients in again\n";
      return ctl_ok;
    }
    if (phase == "idle") {
      err << "actormq ctl: " << node << ": the evacuation was cancelled\n";
      return ctl_failed;
    }
    if (Clock::now() >= deadline) {
      err << "actormq ctl: " << node << " is not empty after " << timeout_s << " s (" << line << ")"
          << (phase == "sessions" && count(s, "peers") == 0 ? "; no peer node takes its sessions" : "")
          << "; it goes on evacuating\n";
      return ctl_failed;
    }
    std::this_thread::sleep_for(poll_every);
    auto next = call(t, "GET", "/api/v1/evacuate", "", 200);
    if (!next) {
      err << "actormq ctl: " << next.error().text() << '\n';
      return ctl_failed;
    }
    s = std::move(*next);
  }
}

}  // namespace actormq::core::ctl
