#include "core/store/persistence.hpp"

#include <algorithm>
#include <unordered_map>

#include "core/clock.hpp"

namespace actormq::core {

using persist::Db;
using persist::Op;

persist::StoredMessage to_stored(const AppMessage& msg) {
  persist::StoredMessage s;
  s.topic = msg.topic;
  s.payload = msg.payload;
  s.qos = msg.qos;
  s.retain = msg.retain;
  s.properties = msg.properties();
  s.publisher = msg.publisher;
  s.received_ms = msg.received_ms;
  return s;
}

AppMessagePtr from_stored(persist::StoredMessage&& stored, persist::Writer* writer, std::uint64_t body_id) {
  auto msg = new_app_message();
  msg->topic = std::move(stored.topic);
  msg->payload = std::move(stored.payload);
  msg->qos = stored.qos;
  msg->retain = stored.retain;
  msg->set_properties(std::move(stored.properties));
  msg->publisher = std::move(stored.publisher);
  msg->received_ms = stored.received_ms;
  msg->body.attach(writer, body_id);
  return msg;
}

persist::StoredEntry to_entry(const Deliver& d, std::uint64_t body_id) {
  persist::StoredEntry e;
  e.body_id = body_id;
  e.qos = d.qos;
  e.retain = d.retain;
  e.subscription_ids = d.subscription_ids;
  return e;
}

persist::StoredWill to_stored(const mqtt::Will& will, std::string publisher) {
  persist::StoredWill w;
  w.message.topic = will.topic;
  w.message.payload = will.payload;
  w.message.qos = will.qos;
  w.message.retain = will.retain;
  w.message.properties = will.properties;
  w.message.properties.will_delay_interval.reset();
  w.message.publisher = std::move(publisher);
  w.delay_s = will.properties.will_delay_interval.value_or(0);
  return w;
}

mqtt::Will from_stored(persist::StoredWill&& stored) {
  mqtt::Will w;
  w.topic = std::move(stored.message.topic);
  w.payload = std::move(stored.message.payload);
  w.qos = stored.message.qos;
  w.retain = stored.message.retain;
  w.properties = std::move(stored.message.properties);
  if (stored.delay_s != 0) {
    w.properties.will_delay_interval = stored.delay_s;
  }
  return w;
}

AppMessagePtr attach_to_store(AppMessagePtr msg, persist::Writer* writer) {
  if (msg == nullptr || writer == nullptr || msg->body.writer() != nullptr) {
    return msg;
  }
  if (msg.use_count() == 1) {
    // Made non-const by its decoder and held by no one else: attaching is
    // the owner's, before the message is shared (BodyRef::attach).
    const_cast<AppMessage&>(*msg).body.attach(writer);
    return msg;
  }
  auto copy = new_app_message();
  copy->topic = msg->topic;
  copy->payload = msg->payload;  // shared, not copied
  copy->qos = msg->qos;
  copy->retain = msg->retain;
  copy->set_properties(msg->properties());
  copy->publisher = msg->publisher;
  copy->publisher_pid = msg->publisher_pid;
  copy->received_ms = msg->received_ms;
  copy->body.attach(writer);
  return copy;
}

std::vector<Op> store_delivery_ops(Db db, std::string key, const Deliver& d, std::uint64_t seq, bool released) {
  std::vector<Op> ops;
  persist::BodyRef::Claim claim = d.msg->body.claim();
  if (claim.first) {
    ops.push_back(Op::put(Db::messages, persist::body_key(claim.id), persist::encode(to_stored(*d.msg))));
  }
  persist::StoredEntry e = to_entry(d, claim.id);
  e.seq = seq;
  e.released = released;
  ops.push_back(Op::put(db, std::move(key), persist::encode(e)));
  return ops;
}

std::string printable_key(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 64)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
  return out;
}

}  // namespace actormq::core
