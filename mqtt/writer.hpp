#pragma once
// Unchecked big-endian writers for the MQTT data types of §1.5. The encoder
// computes the exact packet size first, so the destination is always large
// enough; the assert catches a size computation that disagrees.

#include <cassert>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace actormq::mqtt {

/// Writes into a caller-sized span; size it with the encoder's size functions.
class Writer {
 public:
  explicit Writer(std::span<std::uint8_t> out) noexcept
      : p_(out.data()), end_(out.data() + out.size()) {}

  void u8(std::uint8_t v) noexcept {
    assert(end_ - p_ >= 1);
    *p_++ = v;
  }
  void u16(std::uint16_t v) noexcept {
    assert(end_ - p_ >= 2);
    p_[0] = static_cast<std::uint8_t>(v >> 8);
    p_[1] = static_cast<std::uint8_t>(v);
    p_ += 2;
  }
  void u32(std::uint32_t v) noexcept {
    assert(end_ - p_ >= 4);
    p_[0] = static_cast<std::uint8_t>(v >> 24);
    p_[1] = static_cast<std::uint8_t>(v >> 16);
    p_[2] = static_cast<std::uint8_t>(v >> 8);
    p_[3] = static_cast<std::uint8_t>(v);
    p_ += 4;
  }
  /// Variable Byte Integer, minimal encoding; `v` must be <= max_varint.
  void varint(std::uint32_t v) noexcept {
    do {
      std::uint8_t b = v & 0x7F;
      v >>= 7;
      u8(v ? static_cast<std::uint8_t>(b | 0x80) : b);
    } while (v != 0);
  }
  void raw(const void* data, std::size_t n) noexcept {
    assert(static_cast<std::size_t>(end_ - p_) >= n);
    if (n != 0) {
      std::memcpy(p_, data, n);
    }
    p_ += n;
  }
  /// Length-prefixed string or binary; the length must be <= 65535.
  void prefixed(std::string_view s) noexcept {
    u16(static_cast<std::uint16_t>(s.size()));
    raw(s.data(), s.size());
  }

  /// Bytes left in the destination.
  [[nodiscard]] std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }

 private:
  std::uint8_t* p_;
  std::uint8_t* end_;
};

}  // namespace actormq::mqtt
