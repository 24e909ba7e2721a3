#include "bridge/mqtt/client.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "core/clock.hpp"
#include "mqtt/encode.hpp"

namespace actormq::bridge {

using mqtt::PacketType;
using mqtt::QoS;
using mqtt::ReasonCode;

namespace {

bool refused(ReasonCode code) { return static_cast<std::uint8_t>(code) >= 0x80; }

std::string reason_text(ReasonCode code) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(code));
  return std::string(mqtt::to_string(code)) + " (" + hex + ")";
}

}  // namespace

Client::Client(ClientOptions options)
    : options_(std::move(options)), outbox_(options_.max_buffered_bytes) {
  if (!options_.wall_clock) {
    options_.wall_clock = core::wall_ms;
  }
  outbox_.set_window(options_.max_inflight);
}

mqtt::Connect Client::make_connect() const {
  mqtt::Connect c;
  c.version = options_.version;
  // mosquitto's try_private: bit 7 of the protocol level marks a bridge, so
  // the remote treats its subscriptions as No Local and Retain As
  // Published. MQTT 5 has those options of its own (and no such bit).
  c.bridge = options_.try_private && options_.version != mqtt::ProtocolVersion::v5 && !private_refused_;
  c.clean_start = options_.clean_start;
  c.keep_alive = options_.keepalive_s;
  c.client_id = options_.client_id;
  if (!options_.username.empty()) {
    c.username = options_.username;
  }
  if (!options_.password.empty()) {
    c.password = options_.password;
  }
  c.will = options_.will;
  if (options_.version == mqtt::ProtocolVersion::v5 && !options_.clean_start) {
    // MQTT 5 3.1.2.11.2: without an expiry the session ends with the
    // connection; a bridge that resumes its session wants it kept.
    c.properties.session_expiry_interval = std::numeric_limits<std::uint32_t>::max();
  }
  return c;
}

Actions Client::start(std::uint64_t now_ms) {
  Actions a;
  mqtt::ParserOptions o;
  o.version = options_.version;
  parser_ = mqtt::Parser(o);
  state_ = State::connecting;
  last_read_ms_ = now_ms;
  last_write_ms_ = now_ms;
  mqtt::Connect c = make_connect();
  private_sent_ = c.bridge;
  emit(c, a);
  return a;
}

Actions Client::on_bytes(std::span<const std::uint8_t> bytes, std::uint64_t now_ms) {
  Actions a;
  last_read_ms_ = now_ms;
  while (!bytes.empty() && !a.close) {
    mqtt::Parsed r = parser_.parse(bytes);
    bytes = bytes.subspan(r.consumed);
    if (r.status == mqtt::ParseStatus::error) {
      a.close = "a malformed packet from the remote (" + std::string(r.error.reason) + ")";
      break;
    }
    if (r.status != mqtt::ParseStatus::packet) {
      break;
    }
    handle(r.packet, a);
  }
  if (!a.write.empty()) {
    last_write_ms_ = now_ms;
  }
  return a;
}

void Client::handle(mqtt::Packet& packet, Actions& a) {
  const PacketType type = mqtt::packet_type(packet);
  if (state_ != State::connected && type != PacketType::connack) {
    a.close = "a " + std::string(mqtt::to_string(type)) + " before CONNACK";
    return;
  }
  switch (type) {
    case PacketType::connack:
      on_connack(std::get<mqtt::Connack>(packet), a);
      return;
    case PacketType::publish:
      on_publish(std::get<mqtt::Publish>(packet), a);
      return;
    case PacketType::puback: {
      const auto& ack = std::get<mqtt::Puback>(packet);
      on_ack(ack.packet_id, ack.reason_code, type, a);
      return;
    }
    case PacketType::pubrec: {
      const auto& ack = std::get<mqtt::Pubrec>(packet);
      on_ack(ack.packet_id, ack.reason_code, type, a);
      return;
    }
    case PacketType::pubcomp: {
      const auto& ack = std::get<mqtt::Pubcomp>(packet);
      on_ack(ack.packet_id, ack.reason_code, type, a);
      return;
    }
    case PacketType::pubrel:
      on_pubrel(std::get<mqtt::Pubrel>(packet).packet_id, a);
      return;
    case PacketType::suback:
      on_suback(std::get<mqtt::Suback>(packet), a);
      return;
    case PacketType::pingresp:
    case PacketType::unsuback:
      return;
    case PacketType::disconnect: {
      const auto& d = std::get<mqtt::Disconnect>(packet);
      a.close = "DISCONNECT from the remote: " + reason_text(d.reason_code) +
                (d.properties.reason_string ? ", " + *d.properties.reason_string : std::string());
      return;
    }
    default:
      a.close = "a " + std::string(mqtt::to_string(type)) + " from the remote, which only a client sends";
      return;
  }
}

void Client::on_connack(const mqtt::Connack& c, Actions& a) {
  if (state_ != State::connecting) {
    a.close = "a second CONNACK";
    return;
  }
  if (c.reason_code != ReasonCode::success) {
    if (private_sent_ && c.reason_code == ReasonCode::unsupported_protocol_version) {
      // As mosquitto: a remote that does not take the bridge flag is dialled again without it.
      private_refused_ = true;
      a.warnings.push_back("the remote refused the bridge flag (try_private); connecting without it");
    }
    a.close = "CONNACK refused: " + reason_text(c.reason_code);
    return;
  }
  state_ = State::connected;
  a.connected = true;
  if (!c.session_present) {
    awaiting_rel_.clear();  // the remote forgot the QoS 2 exchanges it had begun
  }
  std::size_t window = options_.max_inflight;
  if (c.properties.receive_maximum) {
    window = std::min<std::size_t>(window, *c.properties.receive_maximum);
  }
  outbox_.set_window(window);
  // MQTT 5 3.2.2.3.6: nothing larger goes to the remote.
  max_packet_size_ = c.properties.maximum_packet_size.value_or(0);
  if (!options_.subscriptions.empty()) {
    mqtt::Subscribe s;
    s.packet_id = outbox_.next_packet_id();
    for (const FilterQos& f : options_.subscriptions) {
      mqtt::Subscription sub;
      sub.filter = f.filter;
      sub.options.max_qos = f.qos;
      // v5: our own messages do not come back (loop prevention), and the
      // retain flag comes as published (3.3.1.3).
      sub.options.no_local = options_.version == mqtt::ProtocolVersion::v5;
      sub.options.retain_as_published = options_.version == mqtt::ProtocolVersion::v5;
      s.subscriptions.push_back(std::move(sub));
    }
    emit(s, a);
  }
  // MQTT 4.4: what was in flight goes again, in order, before anything new.
  // Copied: a message now too large for the remote leaves the window.
  std::vector<InFlight> resend(outbox_.in_flight().begin(), outbox_.in_flight().end());
  for (const InFlight& f : resend) {
    send_in_flight(f, true, a);
  }
  if (options_.on_connect) {
    dropped(outbox_.push(*options_.on_connect, true), a);
  }
  pump(a);
}

void Client::on_publish(mqtt::Publish& p, Actions& a) {
  if (p.qos == QoS::at_most_once) {
    a.route.push_back(std::move(p));
    return;
  }
  mqtt::Packet ack;
  bool fresh = true;
  if (p.qos == QoS::at_least_once) {
    mqtt::Puback puback;
    puback.packet_id = p.packet_id;
    ack = std::move(puback);
  } else {
    mqtt::Pubrec pubrec;
    pubrec.packet_id = p.packet_id;
    ack = std::move(pubrec);
    // MQTT 4.3.3: a QoS 2 message is routed once; a resent one only answered.
    fresh = std::find(awaiting_rel_.begin(), awaiting_rel_.end(), p.packet_id) == awaiting_rel_.end();
    if (fresh) {
      awaiting_rel_.push_back(p.packet_id);
    }
  }
  std::optional<std::size_t> index;
  if (fresh) {
    index = a.route.size();
    a.route.push_back(std::move(p));
  }
  if (options_.hold_acks) {
    a.held.push_back(HeldAck{std::move(ack), index});
  } else {
    emit(ack, a);
  }
}

Actions Client::acknowledge(const mqtt::Packet& ack) {
  Actions a;
  if (state_ == State::connected) {
    emit(ack, a);
  }
  return a;
}

void Client::unroute(std::uint16_t packet_id) { std::erase(awaiting_rel_, packet_id); }

void Client::on_pubrel(std::uint16_t packet_id, Actions& a) {
  mqtt::Pubcomp comp;
  comp.packet_id = packet_id;
  auto it = std::find(awaiting_rel_.begin(), awaiting_rel_.end(), packet_id);
  if (it == awaiting_rel_.end()) {
    comp.reason_code = ReasonCode::packet_identifier_not_found;
  } else {
    awaiting_rel_.erase(it);
  }
  emit(comp, a);
}

void Client::on_suback(const mqtt::Suback& s, Actions& a) {
  for (std::size_t i = 0; i < s.reason_codes.size() && i < options_.subscriptions.size(); ++i) {
    if (refused(s.reason_codes[i])) {
      a.warnings.push_back("the remote refused the subscription to " + options_.subscriptions[i].filter + ": " +
                           reason_text(s.reason_codes[i]));
    }
  }
}

void Client::on_ack(std::uint16_t packet_id, ReasonCode code, PacketType type, Actions& a) {
  const std::string what = std::string(mqtt::to_string(type)) + " " + std::to_string(packet_id);
  if (refused(code)) {
    a.warnings.push_back("the remote refused a message (" + what + ": " + reason_text(code) + "); dropped");
  }
  bool known = false;
  std::optional<OutMessage> done;
  if (type == PacketType::puback) {
    done = outbox_.complete(packet_id, QoS::at_least_once);
  } else if (type == PacketType::pubcomp || refused(code)) {
    done = outbox_.complete(packet_id, QoS::exactly_once);
  } else if (const OutMessage* m = outbox_.release(packet_id)) {
    known = true;
    if (m->stored) {
      a.released.push_back(*m);
    }
    mqtt::Pubrel rel;
    rel.packet_id = packet_id;
    emit(rel, a);
  }
  if (done) {
    known = true;
    if (done->stored) {
      a.forget.push_back(done->seq);
    }
    if (refused(code)) {
      ++a.dropped;
    } else {
      ++a.sent;
    }
  }
  if (!known) {
    a.warnings.push_back("a " + what + " for no message in flight; ignored");
  }
  pump(a);
}

void Client::emit(const mqtt::Packet& packet, Actions& a) {
  if (auto encoded = mqtt::encode_append(packet, options_.version, a.write); !encoded) {
    a.warnings.push_back("cannot encode a " + std::string(mqtt::to_string(mqtt::packet_type(packet))) +
                         " for the remote; dropped");
  }
}

Actions Client::tick(std::uint64_t now_ms) {
  Actions a;
  if (state_ != State::connected || options_.keepalive_s == 0) {
    return a;
  }
  const std::uint64_t keepalive_ms = options_.keepalive_s * 1000ull;
  if (now_ms - last_read_ms_ >= keepalive_ms * 3 / 2) {
    a.close = "nothing from the remote for " + std::to_string(now_ms - last_read_ms_) + " ms";
    return a;
  }
  if (now_ms - last_write_ms_ >= keepalive_ms) {
    emit(mqtt::Pingreq{}, a);
    last_write_ms_ = now_ms;
  }
  return a;
}

std::vector<std::uint8_t> Client::goodbye() {
  Actions a;
  if (state_ != State::connected) {
    return {};
  }
  mqtt::Disconnect d;
  if (options_.version == mqtt::ProtocolVersion::v5) {
    d.reason_code = ReasonCode::disconnect_with_will_message;
  } else if (options_.will) {
    // 3.1.1 drops the will on DISCONNECT: say it ourselves.
    InFlight f;
    f.msg = OutMessage{options_.will->topic, options_.will->payload, QoS::at_most_once, options_.will->retain, {}};
    publish(f, false, a);
  }
  emit(d, a);
  state_ = State::idle;
  return std::move(a.write);
}

void Client::lost() noexcept {
  state_ = State::idle;
  parser_.reset();
}

}  // namespace actormq::bridge
