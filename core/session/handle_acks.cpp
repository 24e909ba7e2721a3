// PUBACK, PUBREC, PUBREL, PUBCOMP (sections 3.4-3.7, flows of 4.3).
#include <algorithm>

#include "core/session/channel.hpp"
#include "core/store/persistence.hpp"

namespace actormq::core {

namespace {
auto find_inflight(LazyMap<std::uint16_t, Inflight>& inflight, std::uint16_t id) {
  return inflight.find(id);
}
}  // namespace

void Channel::handle_puback(ChannelHost& host, const mqtt::PublishAck& ack) {
  auto it = find_inflight(session_.inflight, ack.packet_id);
  if (it == session_.inflight.end() || it->second.delivery.qos != mqtt::QoS::at_least_once) {
    return;  // unknown id: ignored, as mosquitto does
  }
  session_.inflight.erase(it);
  unstore_inflight(host, ack.packet_id);
  drain_queue(host);
}

void Channel::handle_pubrec(ChannelHost& host, const mqtt::PublishAck& ack) {
  auto it = find_inflight(session_.inflight, ack.packet_id);
  mqtt::Pubrel rel;
  rel.packet_id = ack.packet_id;
  if (it == session_.inflight.end() || it->second.delivery.qos != mqtt::QoS::exactly_once) {
    if (v5()) {
      rel.reason_code = mqtt::ReasonCode::packet_identifier_not_found;
      send_packet(host, rel);
    }
    return;
  }
  if (static_cast<std::uint8_t>(ack.reason_code) >= 0x80) {
    // MQTT 5 4.3.3: a PUBREC with an error ends the exchange.
    session_.inflight.erase(it);
    unstore_inflight(host, ack.packet_id);
    drain_queue(host);
    return;
  }
  it->second.released = true;
  store_inflight(host, ack.packet_id, it->second);
  it->second.delivery.msg.reset();  // only the packet id matters from here on
  send_packet(host, rel);
}

void Channel::handle_pubrel(ChannelHost& host, const mqtt::PublishAck& ack) {
  auto& waiting = session_.awaiting_rel;
  auto it = std::find(waiting.begin(), waiting.end(), ack.packet_id);
  mqtt::Pubcomp comp;
  comp.packet_id = ack.packet_id;
  if (it == waiting.end()) {
    if (v5()) {
      comp.reason_code = mqtt::ReasonCode::packet_identifier_not_found;
    }
  } else {
    waiting.erase(it);
    if (stored_) {
      store(host, {persist::Op::erase(persist::Db::inflight, persist::session_key(client_id_, awaiting_rel_key(ack.packet_id)))});
    }
  }
  send_packet(host, comp);
}

void Channel::handle_pubcomp(ChannelHost& host, const mqtt::PublishAck& ack) {
  auto it = find_inflight(session_.inflight, ack.packet_id);
  if (it == session_.inflight.end() || !it->second.released) {
    return;
  }
  session_.inflight.erase(it);
  unstore_inflight(host, ack.packet_id);
  drain_queue(host);
}

}  // namespace actormq::core
