#include "persist/record.hpp"

#include <vector>

#include "mqtt/reader.hpp"
#include "mqtt/writer.hpp"

namespace actormq::persist {

namespace {

// Format version of each record kind: a record of another version is
// malformed to this build (a newer broker's data is not half-read).
constexpr std::uint8_t message_format = 1;
constexpr std::uint8_t entry_format = 1;
// Sessions: format 2 appends the username and listener index; format 1 is
// still read (a store written before them).
constexpr std::uint8_t session_format = 2;
constexpr std::uint8_t session_format_v1 = 1;

class Out {
 public:
  void u8(std::uint8_t v) { s_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { be(v, 2); }
  void u32(std::uint32_t v) { be(v, 4); }
  void u64(std::uint64_t v) { be(v, 8); }
  void str(std::string_view v) {
    u32(static_cast<std::uint32_t>(v.size()));
    s_.append(v);
  }
  std::string take() { return std::move(s_); }

 private:
  void be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) {
      s_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    }
  }
  std::string s_;
};

// Every read checks the bound; after a failed read ok() stays false and
// further reads return zeros, so a decoder checks once at the end.
class In {
 public:
  explicit In(std::string_view s) : s_(s) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(be(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(be(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(be(4)); }
  std::uint64_t u64() { return be(8); }
  std::string_view str() {
    std::uint32_t n = u32();
    if (!ok_ || s_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string_view v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  bool flag() {
    std::uint8_t v = u8();
    if (v > 1) {
      ok_ = false;
    }
    return v == 1;
  }
  std::optional<mqtt::QoS> qos() {
    std::uint8_t v = u8();
    if (v > 2) {
      ok_ = false;
      return std::nullopt;
    }
    return static_cast<mqtt::QoS>(v);
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool done() const { return ok_ && pos_ == s_.size(); }

 private:
  std::uint64_t be(std::size_t n) {
    if (!ok_ || s_.size() - pos_ < n) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      v = (v << 8) | static_cast<std::uint8_t>(s_[pos_ + i]);
    }
    pos_ += n;
    return v;
  }
  std::string_view s_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

void put_be64(std::string& s, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}

std::uint64_t get_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (char c : s.substr(0, 8)) {
    v = (v << 8) | static_cast<std::uint8_t>(c);
  }
  return v;
}

// Properties keep their MQTT wire form (the codec in mqtt/ reads them back
// with every check it applies to a PUBLISH).
void put_properties(Out& out, const mqtt::Properties& props) {
  auto body = mqtt::properties_body_size(props);
  std::size_t size = body ? mqtt::properties_wire_size(*body) : 1;
  std::vector<std::uint8_t> buf(size, 0);
  if (body) {
    mqtt::Writer w(buf);
    mqtt::write_properties(w, props, *body);
  }
  out.str(std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
}

bool get_properties(In& in, mqtt::Properties& props) {
  std::string_view raw = in.str();
  if (!in.ok()) {
    return false;
  }
  mqtt::Reader r(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
  auto decoded = mqtt::decode_properties(r, mqtt::PropertyContext{mqtt::PacketType::publish});
  if (!decoded || !r.at_end()) {
    return false;
  }
  props = std::move(decoded.value());
  return true;
}

void put_message_fields(Out& out, const StoredMessage& m) {
  out.str(m.topic);
  out.str(m.payload.view());
  out.u8(static_cast<std::uint8_t>(m.qos));
  out.u8(m.retain ? 1 : 0);
  put_properties(out, m.properties);
  out.str(m.publisher);
  out.u64(m.received_ms);
}

bool get_message_fields(In& in, StoredMessage& m) {
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

}  // namespace

std::string encode(const StoredMessage& m) {
  Out out;
  out.u8(message_format);
  put_message_fields(out, m);
  return out.take();
}

std::optional<StoredMessage> decode_message(std::string_view bytes) {
  In in(bytes);
  StoredMessage m;
  if (in.u8() != message_format || !get_message_fields(in, m) || !in.done()) {
    return std::nullopt;
  }
  return m;
}

std::string encode(const StoredEntry& e) {
  Out out;
  out.u8(entry_format);
  out.u64(e.body_id);
  out.u8(static_cast<std::uint8_t>(e.qos));
  out.u8(e.retain ? 1 : 0);
  out.u8(e.released ? 1 : 0);
  out.u64(e.seq);
  out.u32(static_cast<std::uint32_t>(e.subscription_ids.size()));
  for (std::uint32_t id : e.subscription_ids) {
    out.u32(id);
  }
  return out.take();
}

std::optional<StoredEntry> decode_entry(std::string_view bytes) {
  In in(bytes);
  StoredEntry e;
  if (in.u8() != entry_format) {
    return std::nullopt;
  }
  e.body_id = in.u64();
  auto qos = in.qos();
  e.retain = in.flag();
  e.released = in.flag();
  e.seq = in.u64();
  std::uint32_t n = in.u32();
  // Each identifier takes 4 bytes: a count beyond what is left is malformed
  // (and must not reserve memory).
  if (!in.ok() || n > bytes.size() / 4) {
    return std::nullopt;
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    e.subscription_ids.push_back(in.u32());
  }
  if (!in.done() || e.body_id == 0) {
    return std::nullopt;
  }
  e.qos = *qos;
  return e;
}

std::string encode(const StoredSession& s) {
  Out out;
  out.u8(session_format);
  out.u8(s.protocol_version);
  out.u32(s.session_expiry_s);
  out.u64(s.disconnected_ms);
  out.u16(s.last_packet_id);
  out.u32(static_cast<std::uint32_t>(s.subscriptions.size()));
  for (const StoredSubscription& sub : s.subscriptions) {
    out.str(sub.full_filter);
    out.str(sub.filter);
    out.str(sub.group);
    out.u8(static_cast<std::uint8_t>(sub.max_qos));
    out.u8(sub.no_local ? 1 : 0);
    out.u8(sub.retain_as_published ? 1 : 0);
    out.u32(sub.subscription_id);
  }
  out.u8(s.will ? 1 : 0);
  if (s.will) {
    put_message_fields(out, s.will->message);
    out.u32(s.will->delay_s);
  }
  out.u8(s.username ? 1 : 0);
  if (s.username) {
    out.str(*s.username);
  }
  out.u16(s.listener_index);
  return out.take();
}

std::optional<StoredSession> decode_session(std::string_view bytes) {
  In in(bytes);
  StoredSession s;
  std::uint8_t format = in.u8();
  if (format != session_format && format != session_format_v1) {
    return std::nullopt;
  }
  s.protocol_version = in.u8();
  s.session_expiry_s = in.u32();
  s.disconnected_ms = in.u64();
  s.last_packet_id = in.u16();
  std::uint32_t n = in.u32();
  // A subscription takes at least 19 bytes.
  if (!in.ok() || n > bytes.size() / 19 || s.protocol_version < 3 || s.protocol_version > 5) {
    return std::nullopt;
  }
  for (std::uint32_t i = 0; i < n && in.ok(); ++i) {
    StoredSubscription sub;
    sub.full_filter = std::string(in.str());
    sub.filter = std::string(in.str());
    sub.group = std::string(in.str());
    sub.max_qos = in.qos().value_or(mqtt::QoS::at_most_once);
    sub.no_local = in.flag();
    sub.retain_as_published = in.flag();
    sub.subscription_id = in.u32();
    s.subscriptions.push_back(std::move(sub));
  }
  if (in.flag()) {
    StoredWill will;
    if (!get_message_fields(in, will.message)) {
      return std::nullopt;
    }
    will.delay_s = in.u32();
    s.will = std::move(will);
  }
  if (format != session_format_v1) {
    if (in.flag()) {
      s.username = std::string(in.str());
    }
    s.listener_index = in.u16();
  }
  if (!in.done()) {
    return std::nullopt;
  }
  return s;
}

std::string session_prefix(std::string_view client_id) {
  std::string key(client_id);
  key.push_back('\0');
  return key;
}

std::string session_key(std::string_view client_id, std::uint64_t n) {
  std::string key = session_prefix(client_id);
  put_be64(key, n);
  return key;
}

std::optional<SessionKey> parse_session_key(std::string_view key) {
  if (key.size() < 9 || key[key.size() - 9] != '\0') {
    return std::nullopt;
  }
  std::string_view id = key.substr(0, key.size() - 9);
  if (id.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  return SessionKey{std::string(id), get_be64(key.substr(key.size() - 8))};
}

std::string body_key(std::uint64_t id) {
  std::string key;
  put_be64(key, id);
  return key;
}

std::optional<std::uint64_t> parse_body_key(std::string_view key) {
  if (key.size() != 8) {
    return std::nullopt;
  }
  return get_be64(key);
}

}  // namespace actormq::persist
