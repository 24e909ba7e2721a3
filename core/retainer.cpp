#include "core/retainer.hpp"

#include <chrono>

namespace actormq::core {

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

bool expired(const AppMessage& msg, std::uint64_t now_ms) {
  const auto& expiry = msg.properties.message_expiry_interval;
  return expiry && now_ms >= msg.received_ms + std::uint64_t{*expiry} * 1000;
}

Retainer::Retainer(Metrics& metrics) : metrics_(metrics) {}

void Retainer::on_message(sched::Message& msg) {
  if (auto* s = msg.as<RetainStore>()) {
    store(s->msg);
  } else if (auto* q = msg.as<RetainQuery>()) {
    query(*q);
  }
}

void Retainer::store(const AppMessagePtr& msg) {
  // MQTT 3.3.1.3: a retained message with an empty payload removes the topic's.
  if (msg->payload.empty()) {
    if (index_.erase(msg->topic)) {
      metrics_.add(Counter::retained_messages, -1);
    }
    return;
  }
  if (index_.set(msg->topic, msg)) {
    metrics_.add(Counter::retained_messages, 1);
  }
}

void Retainer::query(const RetainQuery& q) {
  std::uint64_t now = wall_ms();
  std::uint32_t sent = 0;
  std::vector<std::string> stale;
  index_.match(q.filter, [&](std::string_view topic, const AppMessagePtr& m) {
    if (expired(*m, now)) {
      stale.emplace_back(topic);
      return;
    }
    Deliver d;
    d.msg = m;
    d.qos = m->qos < q.info.max_qos ? m->qos : q.info.max_qos;
    d.retain = true;  // MQTT 3.3.1.3: retained messages sent on subscribe keep RETAIN=1
    if (q.info.subscription_id != 0) {
      d.subscription_ids.push_back(q.info.subscription_id);
    }
    send<Deliver>(q.session, std::move(d));
    ++sent;
  });
  for (const std::string& topic : stale) {
    if (index_.erase(topic)) {
      metrics_.add(Counter::retained_messages, -1);
    }
  }
  consume(sent);
}

}  // namespace actormq::core
