#include "core/http/api_retained.hpp"

#include <algorithm>

#include "core/auth/crypto.hpp"
#include "mqtt/topic.hpp"

namespace actormq::core {

namespace {

net::HttpResponse retained_not_found(const std::string& topic) {
  return api_error(404, "no retained message on topic " + topic);
}

Json properties_json(const mqtt::Properties& p) {
  Json j = Json::object();
  if (p.payload_format_indicator) {
    j["payload_format_indicator"] = *p.payload_format_indicator;
  }
  if (p.message_expiry_interval) {
    j["message_expiry_interval"] = *p.message_expiry_interval;
  }
  if (p.content_type) {
    j["content_type"] = *p.content_type;
  }
  if (p.response_topic) {
    j["response_topic"] = *p.response_topic;
  }
  if (p.correlation_data) {
    j["correlation_data"] = *p.correlation_data;
  }
  if (!p.user_properties.empty()) {
    Json u = Json::object();
    for (const mqtt::UserProperty& up : p.user_properties) {
      u[up.key] = up.value;  // a repeated key shows its last value
    }
    j["user_properties"] = std::move(u);
  }
  return j;
}

// Asks the retainer for the messages matching `filter`.
Ask dump(const ApiEnv& env, std::string filter, std::function<net::HttpResponse(std::vector<AppMessagePtr>)> finish) {
  Ask a;
  a.to = env.ctx.retainer;
  a.question = [filter = std::move(filter)](sched::Pid reply_to, std::uint64_t tag) {
    return sched::make_message<RetainDump>(RetainDump{reply_to, tag, filter});
  };
  a.finish = [finish = std::move(finish)](sched::Message& answer) {
    return finish(std::move(answer.as<RetainedDump>()->messages));
  };
  return a;
}

}  // namespace

Json retained_json(const AppMessage& msg, const std::string& node, bool with_payload) {
  Json j{{"node", node},
         {"topic", msg.topic},
         {"qos", static_cast<int>(msg.qos)},
         {"from_clientid", msg.publisher},
         {"publish_at", msg.received_ms == 0 ? Json(nullptr) : Json(msg.received_ms)},
         {"payload_bytes", msg.payload.size()}};
  if (with_payload) {
    j["payload"] = crypto::base64_encode(msg.payload.span());
    j["encoding"] = "base64";
    j["properties"] = properties_json(msg.properties());
  }
  return j;
}

Json retained_page(std::vector<AppMessagePtr> messages, const Paging& paging, const std::string& node) {
  std::sort(messages.begin(), messages.end(),
            [](const AppMessagePtr& a, const AppMessagePtr& b) { return a->topic < b->topic; });
  std::vector<Json> items;
  items.reserve(messages.size());
  for (const AppMessagePtr& m : messages) {
    items.push_back(retained_json(*m, node, false));
  }
  return paged(std::move(items), paging);
}

ApiPlan list_retained(const Query& query, const ApiEnv& env) {
  auto paging = paging_of(query);
  if (!paging) {
    return api_error(400, paging.error().text());
  }
  auto it = query.find("topic");
  std::string filter = it == query.end() ? "#" : it->second;
  if (!mqtt::is_valid_topic_filter(filter)) {
    return api_error(400, "topic: not a valid topic filter");
  }
  return dump(env, std::move(filter), [p = *paging, node = env.site.node](std::vector<AppMessagePtr> messages) {
    return json_response(retained_page(std::move(messages), p, node));
  });
}

ApiPlan get_retained(const std::string& topic, const ApiEnv& env) {
  if (!mqtt::is_valid_topic_name(topic)) {
    return api_error(400, "topic: not a valid topic name (no wildcards)");
  }
  return dump(env, topic, [topic, node = env.site.node](std::vector<AppMessagePtr> messages) {
    if (messages.empty()) {
      return retained_not_found(topic);
    }
    return json_response(retained_json(*messages.front(), node, true));
  });
}

ApiPlan delete_retained(const std::string& topic, const ApiEnv& env) {
  if (!mqtt::is_valid_topic_name(topic)) {
    return api_error(400, "topic: not a valid topic name (no wildcards)");
  }
  Ask a;
  a.to = env.ctx.retainer;
  a.question = [topic](sched::Pid reply_to, std::uint64_t tag) {
    return sched::make_message<RetainErase>(RetainErase{reply_to, tag, topic});
  };
  a.finish = [topic](sched::Message& answer) {
    if (!answer.as<RetainErased>()->found) {
      return retained_not_found(topic);
    }
    net::HttpResponse r;
    r.status = 204;
    return r;
  };
  return a;
}

}  // namespace actormq::core
