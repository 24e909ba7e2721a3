// The client's outgoing side: messages for the remote into the outbox and
// through its window, each as PUBLISH (or PUBLISH again, or PUBREL), and
// what leaves the outbox reported so that the bridge keeps its store in step.
#include <algorithm>

#include "bridge/mqtt/client.hpp"

namespace actormq::bridge {

using mqtt::QoS;

void Client::pump(Actions& a) {
  if (state_ != State::connected) {
    return;
  }
  // A message the remote cannot take leaves the window at once, making room.
  for (std::vector<const InFlight*> moved = outbox_.fill(); !moved.empty(); moved = outbox_.fill()) {
    std::vector<InFlight> sent;
    for (const InFlight* f : moved) {
      sent.push_back(*f);
    }
    std::size_t dropped_before = a.dropped;
    for (const InFlight& f : sent) {
      send_in_flight(f, false, a);
    }
    if (a.dropped == dropped_before) {
      break;
    }
  }
}

void Client::send_in_flight(const InFlight& f, bool dup, Actions& a) {
  if (f.msg.released) {
    mqtt::Pubrel rel;  // 4.4: PUBREL again, never the PUBLISH
    rel.packet_id = f.packet_id;
    emit(rel, a);
    return;
  }
  const Published done = publish(f, dup, a);
  if (done == Published::too_large) {
    a.warnings.push_back("a message on " + f.msg.topic + " is larger than the remote's Maximum Packet Size (" +
                         std::to_string(max_packet_size_) + " bytes); dropped");
  }
  if (done != Published::written) {
    dropped({*outbox_.complete(f.packet_id, f.msg.qos)}, a);
  }
}

void Client::dropped(std::vector<OutMessage> msgs, Actions& a) {
  a.dropped += msgs.size();
  for (const OutMessage& m : msgs) {
    if (m.stored) {
      a.forget.push_back(m.seq);
    }
  }
}

Actions Client::restore(std::vector<OutMessage> msgs) {
  Actions a;
  for (OutMessage& m : msgs) {
    dropped(outbox_.push(std::move(m)), a);
  }
  return a;
}

Client::Published Client::publish(const InFlight& f, bool dup, Actions& a) {
  mqtt::Publish p;
  p.topic = f.msg.topic;
  p.payload = f.msg.payload;
  p.qos = f.msg.qos;
  p.retain = f.msg.retain;
  p.dup = dup;
  p.packet_id = f.packet_id;
  if (f.msg.properties) {
    std::optional<std::uint32_t> expiry = f.msg.properties->message_expiry_interval;
    if (expiry && f.msg.received_ms != 0) {
      // MQTT 5 3.3.2.3.3: the interval goes on minus the time the message
      // waited here, and a copy not yet on its way when it runs out is
      // deleted (for a 3.1.1 remote too, which is not told the interval).
      // One that may be on its way (sent before a reconnect, or a QoS 2
      // one stored before a restart, whose packet id the remote may hold)
      // goes on, with the least interval there is.
      const std::uint64_t now = options_.wall_clock();
      const std::uint64_t waited_s = (now - std::min(f.msg.received_ms, now)) / 1000;
      const bool begun = dup || (f.msg.from_store && f.msg.qos == QoS::exactly_once);
      if (waited_s >= *expiry && !begun) {
        return Published::expired;
      }
      expiry = waited_s >= *expiry ? 1 : *expiry - static_cast<std::uint32_t>(waited_s);
    }
    if (options_.version == mqtt::ProtocolVersion::v5) {
      p.properties = *f.msg.properties;
      p.properties.message_expiry_interval = expiry;
    }
  }
  if (max_packet_size_ == 0) {
    emit(p, a);
    return Published::written;
  }
  const std::size_t before = a.write.size();
  emit(p, a);
  if (a.write.size() - before > max_packet_size_) {
    a.write.resize(before);
    return Published::too_large;
  }
  return Published::written;
}

Actions Client::send(OutMessage msg, std::uint64_t now_ms) {
  Actions a;
  if (msg.qos == QoS::at_most_once) {
    if (state_ != State::connected) {
      a.dropped = 1;  // at most once: not kept for a remote that is away
      return a;
    }
    InFlight f;
    f.msg = std::move(msg);
    if (publish(f, false, a) == Published::written) {
      a.sent = 1;
    } else {
      a.dropped = 1;  // larger than the remote takes (MQTT 5 3.1.2.25), or expired
    }
  } else {
    dropped(outbox_.push(std::move(msg)), a);
    pump(a);
  }
  if (!a.write.empty()) {
    last_write_ms_ = now_ms;
  }
  return a;
}

}  // namespace actormq::bridge
