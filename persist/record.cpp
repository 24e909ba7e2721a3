#include "persist/record.hpp"

#include <vector>

#include "persist/fields.hpp"

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

}  // namespace

std::string encode(const StoredMessage& m) {
  FieldWriter out;
  out.u8(message_format);
  put_message_fields(out, m);
  return out.take();
}

std::optional<StoredMessage> decode_message(std::string_view bytes) {
  FieldReader in(bytes);
  StoredMessage m;
  if (in.u8() != message_format || !get_message_fields(in, m) || !in.done()) {
    return std::nullopt;
  }
  return m;
}

std::string encode(const StoredEntry& e) {
  FieldWriter out;
  out.u8(entry_format);
  out.u64(e.body_id);
  put_entry_fields(out, e);
  return out.take();
}

std::optional<StoredEntry> decode_entry(std::string_view bytes) {
  FieldReader in(bytes);
  StoredEntry e;
  if (in.u8() != entry_format) {
    return std::nullopt;
  }
  e.body_id = in.u64();
  if (!get_entry_fields(in, e) || !in.done() || e.body_id == 0) {
    return std::nullopt;
  }
  return e;
}

std::string encode(const StoredSession& s) {
  FieldWriter out;
  out.u8(session_format);
  out.u8(s.protocol_version);
  out.u32(s.session_expiry_s);
  out.u64(s.disconnected_ms);
  out.u16(s.last_packet_id);
  out.u32(static_cast<std::uint32_t>(s.subscriptions.size()));
  for (const StoredSubscription& sub : s.subscriptions) {
    put_subscription(out, sub);
  }
  out.flag(s.will.has_value());
  if (s.will) {
    put_will(out, *s.will);
  }
  out.flag(s.username.has_value());
  if (s.username) {
    out.str(*s.username);
  }
  out.u16(s.listener_index);
  return out.take();
}

std::optional<StoredSession> decode_session(std::string_view bytes) {
  FieldReader in(bytes);
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
    if (get_subscription(in, sub)) {
      s.subscriptions.push_back(std::move(sub));
    }
  }
  if (in.flag()) {
    StoredWill will;
    if (!get_will(in, will)) {
      return std::nullopt;
    }
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
