#pragma once
// Bounds-checked readers for the MQTT data types of §1.5 (after mosquitto
// lib/packet_datatypes.c): every read either succeeds or returns a typed error.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/result.hpp"

namespace actormq::mqtt {

/// Decodes a Variable Byte Integer from the start of `data` (§1.5.5).
/// Rejects more than 4 bytes and non-minimal encodings (e.g. 0x80 0x00).
struct VarintDecode {
  enum class Status : std::uint8_t { ok, need_more, invalid };
  Status status;
  std::uint32_t value;  ///< valid when status == ok
  std::size_t size;     ///< bytes used when status == ok
};
[[nodiscard]] VarintDecode decode_varint(std::span<const std::uint8_t> data) noexcept;

/// Number of bytes the Variable Byte Integer encoding of `value` takes (1..4).
[[nodiscard]] constexpr std::size_t varint_size(std::uint32_t value) noexcept {
  return value < 128 ? 1 : value < 16'384 ? 2 : value < 2'097'152 ? 3 : 4;
}

/// Cursor over one packet body. Reads never go past the end of the span.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) noexcept : data_(data) {}
  /// A Reader only views its input; reading a temporary would dangle.
  explicit Reader(std::vector<std::uint8_t>&&) = delete;

  /// Bytes not yet read.
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] bool at_end() const noexcept { return pos_ == data_.size(); }
  /// Offset of the next byte from the start of the span.
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }

  [[nodiscard]] Result<std::uint8_t> u8() noexcept;
  /// Two Byte Integer, big endian.
  [[nodiscard]] Result<std::uint16_t> u16() noexcept;
  /// Four Byte Integer, big endian.
  [[nodiscard]] Result<std::uint32_t> u32() noexcept;
  /// Variable Byte Integer (minimal encoding, at most 4 bytes).
  [[nodiscard]] Result<std::uint32_t> varint() noexcept;
  /// UTF-8 Encoded String, validated; the view points into the input span.
  [[nodiscard]] Result<std::string_view> utf8_view() noexcept;
  /// UTF-8 Encoded String, validated, copied.
  [[nodiscard]] Result<std::string> utf8();
  /// Binary Data (2-byte length prefix); the span points into the input.
  [[nodiscard]] Result<std::span<const std::uint8_t>> binary_view() noexcept;
  /// Binary Data copied into a byte string.
  [[nodiscard]] Result<std::string> binary();
  /// The next `n` raw bytes.
  [[nodiscard]] Result<std::span<const std::uint8_t>> bytes(std::size_t n) noexcept;
  /// Everything not yet read (the PUBLISH payload).
  [[nodiscard]] std::span<const std::uint8_t> rest() noexcept;

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

}  // namespace actormq::mqtt
