#include "mqtt/reader.hpp"

#include "mqtt/utf8.hpp"

namespace actormq::mqtt {

VarintDecode decode_varint(std::span<const std::uint8_t> data) noexcept {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i == data.size()) {
      return {VarintDecode::Status::need_more, 0, 0};
    }
    const std::uint8_t b = data[i];
    value |= static_cast<std::uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      // §1.5.5: the minimum number of bytes must be used, so a last byte of 0
      // after a continuation byte is an overlong encoding.
      if (i > 0 && b == 0) {
        return {VarintDecode::Status::invalid, 0, 0};
      }
      return {VarintDecode::Status::ok, value, i + 1};
    }
  }
  return {VarintDecode::Status::invalid, 0, 0};
}

Result<std::uint8_t> Reader::u8() noexcept {
  if (remaining() < 1) {
    return ErrorCode::truncated;
  }
  return data_[pos_++];
}

Result<std::uint16_t> Reader::u16() noexcept {
  if (remaining() < 2) {
    return ErrorCode::truncated;
  }
  auto v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return v;
}

Result<std::uint32_t> Reader::u32() noexcept {
  if (remaining() < 4) {
    return ErrorCode::truncated;
  }
  std::uint32_t v = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
                    (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
  pos_ += 4;
  return v;
}

Result<std::uint32_t> Reader::varint() noexcept {
  VarintDecode d = decode_varint(data_.subspan(pos_));
  switch (d.status) {
    case VarintDecode::Status::ok:
      pos_ += d.size;
      return d.value;
    case VarintDecode::Status::need_more:
      return ErrorCode::truncated;
    case VarintDecode::Status::invalid:
      break;
  }
  return ErrorCode::bad_varint;
}

Result<std::span<const std::uint8_t>> Reader::bytes(std::size_t n) noexcept {
  if (remaining() < n) {
    return ErrorCode::truncated;
  }
  auto s = data_.subspan(pos_, n);
  pos_ += n;
  return s;
}

Result<std::span<const std::uint8_t>> Reader::binary_view() noexcept {
  MQTT_TRY(std::uint16_t len, u16());
  return bytes(len);
}

Result<std::string> Reader::binary() {
  MQTT_TRY(auto s, binary_view());
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

Result<std::string_view> Reader::utf8_view() noexcept {
  MQTT_TRY(auto s, binary_view());
  std::string_view text(reinterpret_cast<const char*>(s.data()), s.size());
  if (!is_valid_mqtt_utf8(text)) {
    return ErrorCode::bad_utf8;
  }
  return text;
}

Result<std::string> Reader::utf8() {
  MQTT_TRY(auto s, utf8_view());
  return std::string(s);
}

std::span<const std::uint8_t> Reader::rest() noexcept {
  auto s = data_.subspan(pos_);
  pos_ = data_.size();
  return s;
}

}  // namespace actormq::mqtt
