#include "bridge/mqtt/out_store.hpp"

#include <utility>

#include "mqtt/topic.hpp"
#include "persist/fields.hpp"
#include "persist/record.hpp"

namespace actormq::bridge {

namespace {

constexpr std::uint8_t out_record_format = 1;

}  // namespace

std::string encode_out_record(const OutMessage& msg) {
  persist::StoredMessage m;
  m.topic = msg.topic;
  m.payload = msg.payload;
  m.qos = msg.qos;
  m.retain = msg.retain;
  m.received_ms = msg.received_ms;
  if (msg.properties) {
    m.properties = *msg.properties;
  }
  persist::FieldWriter out;
  out.u8(out_record_format);
  out.flag(msg.released);
  persist::put_message_fields(out, m);
  return out.take();
}

std::optional<OutMessage> decode_out_record(std::string_view bytes) {
  persist::FieldReader in(bytes);
  persist::StoredMessage m;
  if (in.u8() != out_record_format) {
    return std::nullopt;
  }
  const bool released = in.flag();
  if (!persist::get_message_fields(in, m) || !in.done() || !mqtt::is_valid_topic_name(m.topic) ||
      m.qos == mqtt::QoS::at_most_once ||
      (released && m.qos != mqtt::QoS::exactly_once)) {
    return std::nullopt;
  }
  OutMessage msg{std::move(m.topic), std::move(m.payload), m.qos, m.retain, nullptr};
  if (!m.properties.empty()) {
    msg.properties = std::make_shared<const mqtt::Properties>(std::move(m.properties));
  }
  msg.released = released;
  msg.stored = true;
  msg.received_ms = m.received_ms;
  return msg;
}

std::optional<std::map<std::string, std::size_t>> count_out_records(const persist::Env& env) {
  std::map<std::string, std::size_t> counts;
  auto error = env.for_each(
      persist::Db::bridge_out,
      [&](std::string_view key, std::string_view) {
        if (auto parsed = persist::parse_session_key(key)) {
          ++counts[parsed->client_id];
        }
        return true;
      },
      1000);
  if (error) {
    return std::nullopt;
  }
  return counts;
}

OutStore::OutStore(persist::Writer* writer, const persist::Env* env, std::string bridge)
    : writer_(env != nullptr ? writer : nullptr), env_(writer != nullptr ? env : nullptr), bridge_(std::move(bridge)) {}

OutStore::Loaded OutStore::load() {
  Loaded loaded;
  if (!enabled()) {
    return loaded;
  }
  const std::string prefix = persist::session_prefix(bridge_);
  std::vector<std::uint64_t> bad;
  // Every so many records a new read transaction, so a large backlog never
  // holds up a growth of the map for long (the writer may be growing it).
  loaded.error = env_->for_each(
      persist::Db::bridge_out,
      [&](std::string_view key, std::string_view value) {
        if (!key.starts_with(prefix)) {
          return true;  // another bridge's
        }
        auto parsed = persist::parse_session_key(key);
        if (!parsed || parsed->client_id != bridge_) {
          return true;
        }
        next_seq_ = std::max(next_seq_, parsed->n + 1);
        auto msg = decode_out_record(value);
        if (!msg) {
          bad.push_back(parsed->n);
          return true;
        }
        msg->seq = parsed->n;
        msg->from_store = true;
        loaded.messages.push_back(std::move(*msg));
        return true;
      },
      1000);
  loaded.malformed = bad.size();
  erase(bad);
  flush();
  return loaded;
}

void OutStore::put(OutMessage& msg, persist::HoldPtr hold) {
  msg.seq = next_seq_++;
  if (!enabled() || msg.qos == mqtt::QoS::at_most_once) {
    return;
  }
  msg.stored = true;
  gathered_.push_back(persist::Op::put(persist::Db::bridge_out, persist::session_key(bridge_, msg.seq),
                                       encode_out_record(msg)));
  if (hold) {
    // The hold rides on the last write: it is released with the commit of them all.
    writer_->submit(std::exchange(gathered_, {}), std::move(hold));
  }
}

void OutStore::released(const OutMessage& msg) {
  if (enabled() && msg.stored) {
    gathered_.push_back(persist::Op::put(persist::Db::bridge_out, persist::session_key(bridge_, msg.seq),
                                         encode_out_record(msg)));
  }
}

void OutStore::erase(const std::vector<std::uint64_t>& seqs) {
  if (!enabled()) {
    return;
  }
  for (std::uint64_t seq : seqs) {
    gathered_.push_back(persist::Op::erase(persist::Db::bridge_out, persist::session_key(bridge_, seq)));
  }
}

void OutStore::flush() {
  if (!gathered_.empty()) {
    writer_->submit(std::exchange(gathered_, {}));
  }
}

void OutStore::commit(persist::HoldPtr hold) {
  if (!enabled()) {
    return;  // the hold goes with the last copy: now
  }
  // A write that changes nothing (seq 0 is never a message's) for the hold
  // to ride on: the writer releases it with the commit of all before it.
  gathered_.push_back(persist::Op::erase(persist::Db::bridge_out, persist::session_key(bridge_, 0)));
  writer_->submit(std::exchange(gathered_, {}), std::move(hold));
}

}  // namespace actormq::bridge
