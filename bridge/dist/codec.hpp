#pragma once
// The primitive field readers and writers of every layout that crosses a node
// link, in persist/record's manner: integers big endian, strings with a 4-byte
// length and a maximum per field, every read bounds-checked. A failed read
// records the first error and makes later reads return zeros, so a decoder
// checks once at the end. A bulk body (an MQTT payload) is not written inline:
// it goes into its frame's body table once and fields refer to it by index.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bridge/dist/wire_error.hpp"
#include "mqtt/bytes.hpp"
#include "sched/pid.hpp"

namespace actormq::dist {

/// The bulk bodies of one frame being built. A body shared by several
/// messages of the frame (the same buffer) is stored once.
class BodyTable {
 public:
  static constexpr std::size_t max_bodies = 0xFFFF;

  /// The index of `body` in the table, added if new; nullopt when full.
  [[nodiscard]] std::optional<std::uint16_t> add(const mqtt::SharedBytes& body);
  /// Forgets the bodies added after the first `count` (an entry that failed).
  void truncate(std::size_t count);
  [[nodiscard]] std::size_t size() const noexcept { return bodies_.size(); }
  /// Sum of the bodies' lengths.
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] const std::vector<mqtt::SharedBytes>& bodies() const noexcept { return bodies_; }
  void clear();

 private:
  std::vector<mqtt::SharedBytes> bodies_;
  std::unordered_map<const std::uint8_t*, std::uint16_t> index_;
  std::size_t bytes_ = 0;
};

class Encoder {
 public:
  explicit Encoder(BodyTable& bodies) : bodies_(&bodies) {}

  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { be(v, 2); }
  void u32(std::uint32_t v) { be(v, 4); }
  void u64(std::uint64_t v) { be(v, 8); }
  void flag(bool v) { u8(v ? 1 : 0); }
  void pid(sched::Pid p) { u64(p.bits()); }
  void raw(std::string_view bytes) { out_.append(bytes); }
  /// At most `max` bytes; a longer string fails the encoding (field_too_long).
  void str(std::string_view v, std::uint32_t max);
  /// A reference (2 bytes) to `body` in the frame's body table.
  void body(const mqtt::SharedBytes& body);
  void fail(WireError e) {
    if (!error_) {
      error_ = e;
    }
  }

  [[nodiscard]] bool ok() const noexcept { return !error_; }
  [[nodiscard]] std::optional<WireError> error() const noexcept { return error_; }
  [[nodiscard]] std::string take() { return std::move(out_); }

 private:
  void be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) {
      out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    }
  }
  BodyTable* bodies_;
  std::string out_;
  std::optional<WireError> error_;
};

class Decoder {
 public:
  /// Reads `bytes`; body references resolve into `bodies` (the frame's table).
  explicit Decoder(std::string_view bytes, std::span<const mqtt::SharedBytes> bodies = {})
      : in_(bytes), bodies_(bodies) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(be(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(be(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(be(4)); }
  std::uint64_t u64() { return be(8); }
  /// 0 or 1; anything else fails (bad_value).
  bool flag();
  sched::Pid pid() { return sched::Pid::from_bits(u64()); }
  /// Exactly `n` bytes.
  std::string_view raw(std::size_t n);
  /// A string written by Encoder::str with the same `max`: a longer length
  /// fails with field_too_long before anything is read or allocated.
  std::string_view str(std::uint32_t max);
  /// The body a reference names (bad_body_ref if the table has no such entry).
  mqtt::SharedBytes body();
  /// For a count read from the input: fails (truncated) unless `count` items
  /// of at least `min_size` bytes each can still follow, so that no count
  /// makes a decoder loop or reserve beyond what the input holds.
  bool fits(std::uint64_t count, std::size_t min_size);
  void fail(WireError e) {
    if (!error_) {
      error_ = e;
    }
  }

  [[nodiscard]] bool ok() const noexcept { return !error_; }
  [[nodiscard]] std::optional<WireError> error() const noexcept { return error_; }
  [[nodiscard]] bool at_end() const noexcept { return pos_ == in_.size(); }
  [[nodiscard]] std::size_t remaining() const noexcept { return in_.size() - pos_; }

 private:
  std::uint64_t be(std::size_t n);
  std::string_view in_;
  std::span<const mqtt::SharedBytes> bodies_;
  std::size_t pos_ = 0;
  std::optional<WireError> error_;
};

}  // namespace actormq::dist
