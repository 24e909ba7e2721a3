#include "mqtt/encode.hpp"

#include <optional>

#include "mqtt/writer.hpp"

namespace actormq::mqtt {

namespace {

// Every packet is emitted by one function template run twice: first with a
// Counter (sizes and validation), then with an Emitter (bytes). Keeping a
// single emitter per packet means size and bytes cannot disagree.
class Counter {
 public:
  void u8(std::uint8_t) noexcept { size_ += 1; }
  void u16(std::uint16_t) noexcept { size_ += 2; }
  void varint(std::uint32_t v) noexcept { size_ += varint_size(v); }
  void text(std::string_view s) noexcept {
    if (s.size() > max_string_size) {
      fail(ErrorCode::string_too_long);
    }
    size_ += 2 + s.size();
  }
  void raw(std::span<const std::uint8_t> s) noexcept { size_ += s.size(); }
  void properties(const Properties& p) noexcept {
    auto body = properties_body_size(p);
    if (!body) {
      fail(body.error().code);
      return;
    }
    size_ += properties_wire_size(*body);
  }
  void fail(ErrorCode code) noexcept {
    if (!error_) {
      error_ = make_error(code);
    }
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] const std::optional<Error>& error() const noexcept { return error_; }

 private:
  std::size_t size_ = 0;
  std::optional<Error> error_;
};

class Emitter {
 public:
  explicit Emitter(std::span<std::uint8_t> out) noexcept : w_(out) {}
  void u8(std::uint8_t v) noexcept { w_.u8(v); }
  void u16(std::uint16_t v) noexcept { w_.u16(v); }
  void varint(std::uint32_t v) noexcept { w_.varint(v); }
  void text(std::string_view s) noexcept { w_.prefixed(s); }
  void raw(std::span<const std::uint8_t> s) noexcept { w_.raw(s.data(), s.size()); }
  void properties(const Properties& p) noexcept {
    // The Counter pass has already validated these properties.
    auto body = properties_body_size(p);
    write_properties(w_, p, body.ok() ? *body : 0);
  }
  void fail(ErrorCode) noexcept {}

 private:
  Writer w_;
};

std::string_view as_text(const SharedBytes& b) noexcept { return b.view(); }

template <class Out>
void emit_will_and_credentials(Out& o, const Connect& c) {
  if (c.will) {
    if (is_v5(c.version)) {
      o.properties(c.will->properties);
    }
    o.text(c.will->topic);
    o.text(as_text(c.will->payload));
  }
  if (c.username) {
    o.text(*c.username);
  }
  if (c.password) {
    o.text(*c.password);
  }
}

std::uint8_t connect_flags(const Connect& c) noexcept {
  std::uint8_t f = c.clean_start ? 0x02 : 0x00;
  if (c.will) {
    f |= 0x04;
    f |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(c.will->qos) << 3);
    f |= c.will->retain ? 0x20 : 0x00;
  }
  f |= c.password ? 0x40 : 0x00;
  f |= c.username ? 0x80 : 0x00;
  return f;
}

template <class Out>
void emit(Out& o, const Connect& c, ProtocolVersion) {
  if (c.will && c.will->qos > QoS::exactly_once) {
    o.fail(ErrorCode::bad_will_flags);
  }
  // [MQTT-3.1.2-22]
  if (!is_v5(c.version) && c.password && !c.username) {
    o.fail(ErrorCode::password_without_username);
  }
  o.text(c.version == ProtocolVersion::v3_1 ? "MQIsdp" : "MQTT");
  o.u8(static_cast<std::uint8_t>(static_cast<std::uint8_t>(c.version) | (c.bridge ? 0x80 : 0)));
  o.u8(connect_flags(c));
  o.u16(c.keep_alive);
  if (is_v5(c.version)) {
    o.properties(c.properties);
  }
  o.text(c.client_id);
  emit_will_and_credentials(o, c);
}

template <class Out>
void emit(Out& o, const Connack& c, ProtocolVersion v) {
  o.u8(c.session_present ? 1 : 0);
  if (!is_v5(v)) {
    o.u8(static_cast<std::uint8_t>(to_connack_v3(c.reason_code)));
    return;
  }
  o.u8(static_cast<std::uint8_t>(c.reason_code));
  o.properties(c.properties);
}

template <class Out>
void emit_packet_id(Out& o, std::uint16_t id) {
  if (id == 0) {
    o.fail(ErrorCode::zero_packet_id);
  }
  o.u16(id);
}

const Properties& no_properties() noexcept {
  static const Properties empty;
  return empty;
}

template <class Out>
void emit_publish_header(Out& o, const PublishHeader& h, ProtocolVersion v) {
  if (h.qos > QoS::exactly_once) {
    o.fail(ErrorCode::bad_qos);
  }
  o.text(h.topic);
  if (h.qos != QoS::at_most_once) {
    emit_packet_id(o, h.packet_id);
  }
  if (is_v5(v)) {
    o.properties(h.properties ? *h.properties : no_properties());
  }
}

template <class Out>
void emit(Out& o, const Publish& p, ProtocolVersion v) {
  emit_publish_header(o, publish_header(p), v);
  o.raw(p.payload.span());
}

// §3.4.2.1 and friends: in 5.0 the reason code and properties are left out
// when they carry nothing (Success, no properties).
template <class Out>
void emit_reason_and_properties(Out& o, ReasonCode rc, const Properties& props) {
  const bool no_props = props.empty();
  if (rc == ReasonCode::success && no_props) {
    return;
  }
  o.u8(static_cast<std::uint8_t>(rc));
  if (!no_props) {
    o.properties(props);
  }
}

template <class Out>
void emit(Out& o, const PublishAck& a, ProtocolVersion v) {
  emit_packet_id(o, a.packet_id);
  if (is_v5(v)) {
    emit_reason_and_properties(o, a.reason_code, a.properties);
  }
}

std::uint8_t options_byte(const SubscriptionOptions& s, ProtocolVersion v) noexcept {
  auto b = static_cast<std::uint8_t>(s.max_qos);
  if (is_v5(v)) {
    b |= s.no_local ? 0x04 : 0;
    b |= s.retain_as_published ? 0x08 : 0;
    b |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(s.retain_handling) << 4);
  }
  return b;
}

template <class Out>
void emit(Out& o, const Subscribe& s, ProtocolVersion v) {
  emit_packet_id(o, s.packet_id);
  if (is_v5(v)) {
    o.properties(s.properties);
  }
  if (s.subscriptions.empty()) {
    o.fail(ErrorCode::empty_subscribe);
  }
  for (const auto& sub : s.subscriptions) {
    if (sub.options.max_qos > QoS::exactly_once ||
        sub.options.retain_handling > RetainHandling::do_not_send) {
      o.fail(ErrorCode::invalid_packet);
    }
    o.text(sub.filter);
    o.u8(options_byte(sub.options, v));
  }
}

template <class Out>
void emit(Out& o, const Suback& s, ProtocolVersion v) {
  emit_packet_id(o, s.packet_id);
  if (is_v5(v)) {
    o.properties(s.properties);
  }
  for (ReasonCode rc : s.reason_codes) {
    const auto b = static_cast<std::uint8_t>(rc);
    // Before 5.0 every refusal is 0x80 (§3.9.3 of 3.1.1).
    o.u8(is_v5(v) || b <= 2 ? b : 0x80);
  }
}

template <class Out>
void emit(Out& o, const Unsubscribe& u, ProtocolVersion v) {
  emit_packet_id(o, u.packet_id);
  if (is_v5(v)) {
    o.properties(u.properties);
  }
  if (u.filters.empty()) {
    o.fail(ErrorCode::empty_unsubscribe);
  }
  for (const auto& f : u.filters) {
    o.text(f);
  }
}

template <class Out>
void emit(Out& o, const Unsuback& u, ProtocolVersion v) {
  emit_packet_id(o, u.packet_id);
  if (is_v5(v)) {
    o.properties(u.properties);
    for (ReasonCode rc : u.reason_codes) {
      o.u8(static_cast<std::uint8_t>(rc));
    }
  }
}

template <class Out>
void emit(Out&, const Pingreq&, ProtocolVersion) {}

template <class Out>
void emit(Out&, const Pingresp&, ProtocolVersion) {}

template <class Out>
void emit(Out& o, const Disconnect& d, ProtocolVersion v) {
  if (is_v5(v)) {
    emit_reason_and_properties(o, d.reason_code, d.properties);
  }
}

template <class Out>
void emit(Out& o, const Auth& a, ProtocolVersion v) {
  if (!is_v5(v)) {
    o.fail(ErrorCode::reserved_packet_type);
    return;
  }
  emit_reason_and_properties(o, a.reason_code, a.properties);
}

std::uint8_t publish_first_byte(bool dup, QoS qos, bool retain) noexcept {
  return static_cast<std::uint8_t>(0x30 | (dup ? 0x08 : 0) | (static_cast<std::uint8_t>(qos) << 1) |
                                   (retain ? 0x01 : 0));
}

std::uint8_t first_byte(const Packet& packet) noexcept {
  const PacketType type = packet_type(packet);
  if (const auto* p = std::get_if<Publish>(&packet)) {
    return publish_first_byte(p->dup, p->qos, p->retain);
  }
  const bool flags_0010 = type == PacketType::pubrel || type == PacketType::subscribe ||
                          type == PacketType::unsubscribe;
  return static_cast<std::uint8_t>((static_cast<std::uint8_t>(type) << 4) | (flags_0010 ? 0x02 : 0));
}

Result<std::uint32_t> remaining_length(const Packet& packet, ProtocolVersion version) {
  Counter counter;
  std::visit([&](const auto& p) { emit(counter, p, version); }, packet);
  if (counter.error()) {
    return *counter.error();
  }
  if (counter.size() > max_varint) {
    return ErrorCode::packet_too_large;
  }
  return static_cast<std::uint32_t>(counter.size());
}

}  // namespace

Result<std::size_t> encoded_size(const Packet& packet, ProtocolVersion version) {
  MQTT_TRY(std::uint32_t rl, remaining_length(packet, version));
  return 1 + varint_size(rl) + std::size_t{rl};
}

Result<std::size_t> encode_append(const Packet& packet, ProtocolVersion version,
                                  std::vector<std::uint8_t>& out) {
  MQTT_TRY(std::uint32_t rl, remaining_length(packet, version));
  const std::size_t total = 1 + varint_size(rl) + std::size_t{rl};
  const std::size_t start = out.size();
  out.resize(start + total);
  std::span<std::uint8_t> dst(out.data() + start, total);
  Writer header(dst);
  header.u8(first_byte(packet));
  header.varint(rl);
  Emitter body(dst.subspan(total - rl));
  std::visit([&](const auto& p) { emit(body, p, version); }, packet);
  return total;
}

Result<std::vector<std::uint8_t>> encode(const Packet& packet, ProtocolVersion version) {
  std::vector<std::uint8_t> out;
  MQTT_TRY(std::size_t size, encoded_size(packet, version));
  out.reserve(size);
  MQTT_TRY(std::size_t written, encode_append(packet, version, out));
  (void)written;
  return out;
}

PublishHeader publish_header(const Publish& p) noexcept {
  return PublishHeader{p.topic, p.qos,       p.retain,        p.dup,
                       p.packet_id, &p.properties, p.payload.size()};
}

Result<PublishLayout> publish_layout(const PublishHeader& header, ProtocolVersion version) {
  Counter counter;
  emit_publish_header(counter, header, version);
  if (counter.error()) {
    return *counter.error();
  }
  const std::size_t rl = counter.size() + header.payload_size;
  if (rl > max_varint) {
    return ErrorCode::packet_too_large;
  }
  PublishLayout layout{};
  layout.remaining_length = static_cast<std::uint32_t>(rl);
  layout.header_size = 1 + varint_size(layout.remaining_length) + counter.size();
  layout.total_size = layout.header_size + header.payload_size;
  return layout;
}

void write_publish_header(const PublishHeader& header, ProtocolVersion version,
                          const PublishLayout& layout, std::span<std::uint8_t> out) noexcept {
  Writer w(out.first(layout.header_size));
  w.u8(publish_first_byte(header.dup, header.qos, header.retain));
  w.varint(layout.remaining_length);
  Emitter body(out.subspan(layout.header_size - w.left(), w.left()));
  emit_publish_header(body, header, version);
}

Result<PublishLayout> encode_publish_header(const PublishHeader& header, ProtocolVersion version,
                                            std::vector<std::uint8_t>& out) {
  MQTT_TRY(PublishLayout layout, publish_layout(header, version));
  const std::size_t start = out.size();
  out.resize(start + layout.header_size);
  write_publish_header(header, version, layout,
                       std::span<std::uint8_t>(out.data() + start, layout.header_size));
  return layout;
}

}  // namespace actormq::mqtt
