// PUBLISH from a client (section 3.3): topic aliases, validation, routing,
// retained storage, and the acknowledgement of its QoS.
#include <algorithm>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/session/channel.hpp"
#include "core/store/persistence.hpp"
#include "mqtt/topic.hpp"
#include "mqtt/utf8.hpp"

namespace actormq::core {

using mqtt::QoS;
using mqtt::ReasonCode;

void Channel::handle_publish(ChannelHost& host, mqtt::Publish& p) {
  if (state_ != State::connected) {
    return;
  }
  // Read once: each host call is virtual, and the limits do not change
  // while a packet is handled (the hottest path of the broker).
  const Limits& limits = host.limits();
  host.metrics().add(Counter::messages_received);
  if (!p.properties.subscription_identifiers.empty()) {
    // [MQTT-3.3.4-6]: only a server's PUBLISH carries Subscription Identifiers.
    // Checked here, not in the codec, which decodes both directions.
    host.metrics().add(Counter::malformed);
    reject(host, ReasonCode::protocol_error, "subscription identifier in a client PUBLISH");
    return;
  }
  if (v5() && p.properties.topic_alias) {
    // MQTT 5 3.3.2.3.4: an alias is 1..Topic Alias Maximum; an empty topic uses
    // the alias's topic, a non-empty one (re)binds the alias.
    std::uint16_t alias = *p.properties.topic_alias;
    if (alias == 0 || alias > limits.topic_alias_maximum) {
      reject(host, ReasonCode::topic_alias_invalid, "topic alias out of range");
      return;
    }
    std::vector<std::string>& in_aliases = rare().in_aliases;
    if (in_aliases.size() < alias) {
      in_aliases.resize(alias);
    }
    if (p.topic.empty()) {
      if (in_aliases[alias - 1].empty()) {
        reject(host, ReasonCode::protocol_error, "unknown topic alias");
        return;
      }
      p.topic = in_aliases[alias - 1];
    } else {
      in_aliases[alias - 1] = p.topic;
    }
    p.properties.topic_alias.reset();
  }
  if (!mqtt::is_valid_topic_name(p.topic) ||
      mqtt::exceeds_max_levels(p.topic, limits.max_topic_levels)) {
    host.metrics().add(Counter::malformed);
    reject(host, ReasonCode::topic_name_invalid, "invalid topic name");
    return;
  }
  if (p.retain && !limits.retain_available) {
    reject(host, ReasonCode::retain_not_supported, "retain not supported");
    return;
  }
  if (p.qos == QoS::exactly_once) {
    auto& waiting = session_.awaiting_rel;
    if (std::find(waiting.begin(), waiting.end(), p.packet_id) != waiting.end()) {
      // A resent QoS 2 PUBLISH we already routed (4.3.3): acknowledge only.
      // Durability sync: once its id is committed again. The writer retries
      // a failed commit in one transaction with every later write, so this
      // one succeeds only with the message's own writes.
      mqtt::Pubrec rec;
      rec.packet_id = p.packet_id;
      persist::HoldPtr gate = gate_ack(host, rec);
      if (stored_) {
        store(host, {persist::Op::put(persist::Db::inflight, persist::session_key(client_id_, awaiting_rel_key(p.packet_id)),
                                {})},
              std::move(gate));
      }
      return;
    }
    if (waiting.size() >= limits.receive_maximum) {
      reject(host, ReasonCode::receive_maximum_exceeded, "receive maximum exceeded");
      return;
    }
  }
  // Access control, then the rate limit. v5 refuses with a reason code on
  // the acknowledgement; 3.1.1 cannot refuse: the message is acknowledged as
  // usual and dropped (mosquitto does the same for ACL denials).
  std::optional<ReasonCode> refused;
  const bool allowed = acl_allows(host, p.topic, AclAccess::write);
  host.metrics().add(allowed ? Counter::acl_allowed : Counter::acl_denied);
  if (!allowed) {
    ACTORMQ_LOG_DEBUG("client " << client_id_ << ": publish to " << p.topic << " denied by the ACL");
    refused = ReasonCode::not_authorized;
  } else if (!admit_publish(host, p)) {
    refused = ReasonCode::quota_exceeded;
  } else if (v5() && p.properties.payload_format_indicator.value_or(0) == 1 &&
             !mqtt::is_valid_mqtt_utf8(p.payload.view())) {
    // MQTT 5 3.3.2.3.2: a receiver may check a payload declared UTF-8. QoS 0
    // has no acknowledgement to carry 0x99: the message is only dropped.
    ACTORMQ_LOG_DEBUG("client " << client_id_ << ": payload declared UTF-8 is not; dropped");
    refused = ReasonCode::payload_format_invalid;
  }
  if (refused) {
    acknowledge_refused(host, p, *refused);
    return;
  }
  auto msg = new_app_message();
  msg->topic = std::move(p.topic);
  msg->payload = std::move(p.payload);
  msg->qos = p.qos;
  msg->retain = p.retain;
  if (limits.message_expiry_max != 0) {
    auto& expiry = p.properties.message_expiry_interval;
    expiry = std::min(expiry.value_or(limits.message_expiry_max), limits.message_expiry_max);
  }
  // The clock is read only where it counts: for expiry, and for a retained
  // message, which a cluster's nodes keep by newest arrival (bridge/cluster).
  msg->received_ms = p.properties.message_expiry_interval || p.retain ? wall_ms() : 0;
  msg->set_properties(std::move(p.properties));
  msg->publisher = client_id_;
  msg->publisher_pid = host.pid();
  msg->body.attach(host.store());

  // Durability sync: the acknowledgement waits for every write of this
  // message (retained, queues, in-flight entries) to be on disk.
  if (p.qos == QoS::at_least_once) {
    mqtt::Puback ack;
    ack.packet_id = p.packet_id;
    route(host, std::move(msg), gate_ack(host, ack));
  } else if (p.qos == QoS::exactly_once) {
    session_.awaiting_rel.push_back(p.packet_id);
    mqtt::Pubrec rec;
    rec.packet_id = p.packet_id;
    persist::HoldPtr gate = gate_ack(host, rec);
    if (stored_) {
      // A restarted broker must still recognise a resent PUBLISH as one it routed (4.3.3).
      store(host, {persist::Op::put(persist::Db::inflight, persist::session_key(client_id_, awaiting_rel_key(p.packet_id)),
                              {})},
            gate);
    }
    route(host, std::move(msg), std::move(gate));
  } else {
    route(host, std::move(msg));
  }
}

void Channel::acknowledge_refused(ChannelHost& host, const mqtt::Publish& p, ReasonCode code) {
  if (p.qos == QoS::at_least_once) {
    mqtt::Puback ack;
    ack.packet_id = p.packet_id;
    ack.reason_code = v5() ? code : ReasonCode::success;
    send_packet(host, ack);
  } else if (p.qos == QoS::exactly_once) {
    mqtt::Pubrec rec;
    rec.packet_id = p.packet_id;
    rec.reason_code = v5() ? code : ReasonCode::success;
    if (!v5()) {
      session_.awaiting_rel.push_back(p.packet_id);  // the client's PUBREL completes the flow
    }
    send_packet(host, rec);
  }
}

void Channel::route(ChannelHost& host, AppMessagePtr msg, persist::HoldPtr hold) {
  host.route(std::move(msg), std::move(hold));
  routed_in_run_ = true;
}

}  // namespace actormq::core
