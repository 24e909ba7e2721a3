#include "persist/fields.hpp"

#include <span>
#include <vector>

#include "mqtt/reader.hpp"
#include "mqtt/writer.hpp"

namespace actormq::persist {

namespace {

void put_properties(FieldWriter& out, const mqtt::Properties& props) {
  out.str(mqtt::publish_properties_bytes(props));
}

bool get_properties(FieldReader& in, mqtt::Properties& props) {
  std::string_view raw = in.str();
  if (!in.ok()) {
    return false;
  }
  auto decoded = mqtt::publish_properties_from(raw);
  if (!decoded) {
    return false;
  }
  props = std::move(*decoded);
  return true;
}

}  // namespace

void put_message_fields(FieldWriter& out, const StoredMessage& m) {
  out.str(m.topic);
  out.str(m.payload.view());
  out.u8(static_cast<std::uint8_t>(m.qos));
  out.flag(m.retain);
  put_properties(out, m.properties);
  out.str(m.publisher);
  out.u64(m.received_ms);
}

bool get_message_fields(FieldReader& in, StoredMessage& m) {
  m.topic = std::string(in.str());
  m.payload = mqtt::SharedBytes::copy_of(in.str());
  auto qos = in.qos();
  m.retain = in.flag();
  if (!in.ok() || !get_properties(in, m.properties)) {
    return false;
  }
  m.qos = qos.value_or(mqtt::QoS::at_most_once);
  m.publisher = std::string(in.str());
  m.received_ms = in.u64();
  return in.ok();
}

void put_entry_fields(FieldWriter& out, const StoredEntry& e) {
  out.u8(static_cast<std::uint8_t>(e.qos));
  out.flag(e.retain);
  out.flag(e.released);
  out.u64(e.seq);
  out.u32(static_cast<std::uint32_t>(e.subscription_ids.size()));
  for (std::uint32_t id : e.subscription_ids) {
    out.u32(id);
  }
}

bool get_entry_fields(FieldReader& in, StoredEntry& e) {
  auto qos = in.qos();
  e.retain = in.flag();
  e.released = in.flag();
  e.seq = in.u64();
  std::uint32_t n = in.u32();
  // Each identifier takes 4 bytes: a count beyond what is left is malformed
  // (and must not reserve memory).
  if (!in.ok() || n > in.remaining() / 4) {
    return false;
  }
  e.subscription_ids.clear();
  for (std::uint32_t i = 0; i < n; ++i) {
    e.subscription_ids.push_back(in.u32());
  }
  e.qos = qos.value_or(mqtt::QoS::at_most_once);
  return in.ok();
}

void put_will(FieldWriter& out, const StoredWill& will) {
  put_message_fields(out, will.message);
  out.u32(will.delay_s);
}

bool get_will(FieldReader& in, StoredWill& will) {
  if (!get_message_fields(in, will.message)) {
    return false;
  }
  will.delay_s = in.u32();
  return in.ok();
}

void put_subscription(FieldWriter& out, const StoredSubscription& sub) {
  out.str(sub.full_filter);
  out.str(sub.filter);
  out.str(sub.group);
  out.u8(static_cast<std::uint8_t>(sub.max_qos));
  out.flag(sub.no_local);
  out.flag(sub.retain_as_published);
  out.u32(sub.subscription_id);
}

bool get_subscription(FieldReader& in, StoredSubscription& sub) {
  sub.full_filter = std::string(in.str());
  sub.filter = std::string(in.str());
  sub.group = std::string(in.str());
  sub.max_qos = in.qos().value_or(mqtt::QoS::at_most_once);
  sub.no_local = in.flag();
  sub.retain_as_published = in.flag();
  sub.subscription_id = in.u32();
  return in.ok();
}

}  // namespace actormq::persist
