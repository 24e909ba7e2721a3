#pragma once
// The field writer and reader of persist/'s layouts (record.hpp), and the
// layouts of the parts that records share: a message, a queue or in-flight
// entry, a will, a subscription. Also used where a session's state leaves the process
// in the same layouts (core/session/session_state_codec.hpp). Integers big
// endian; strings and byte strings with a 4-byte length.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "persist/record.hpp"

namespace actormq::persist {

class FieldWriter {
 public:
  void u8(std::uint8_t v) { s_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { be(v, 2); }
  void u32(std::uint32_t v) { be(v, 4); }
  void u64(std::uint64_t v) { be(v, 8); }
  void flag(bool v) { u8(v ? 1 : 0); }
  void str(std::string_view v) {
    u32(static_cast<std::uint32_t>(v.size()));
    s_.append(v);
  }
  [[nodiscard]] std::size_t size() const noexcept { return s_.size(); }
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
class FieldReader {
 public:
  explicit FieldReader(std::string_view s) : s_(s) {}
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
  /// 0 or 1; another value is malformed.
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
  void fail() { ok_ = false; }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool done() const { return ok_ && pos_ == s_.size(); }
  [[nodiscard]] std::size_t remaining() const { return s_.size() - pos_; }

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

/// A message's fields; v5 properties keep their MQTT wire form (read back by
/// mqtt/ with every check it applies to a PUBLISH).
void put_message_fields(FieldWriter& out, const StoredMessage& m);
[[nodiscard]] bool get_message_fields(FieldReader& in, StoredMessage& m);

/// An entry's fields after its body id: QoS, RETAIN, released, sequence,
/// subscription identifiers.
void put_entry_fields(FieldWriter& out, const StoredEntry& e);
[[nodiscard]] bool get_entry_fields(FieldReader& in, StoredEntry& e);

/// A will: its message's fields, then its delay.
void put_will(FieldWriter& out, const StoredWill& will);
[[nodiscard]] bool get_will(FieldReader& in, StoredWill& will);

void put_subscription(FieldWriter& out, const StoredSubscription& sub);
[[nodiscard]] bool get_subscription(FieldReader& in, StoredSubscription& sub);

}  // namespace actormq::persist
