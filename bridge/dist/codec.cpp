#include "bridge/dist/codec.hpp"

namespace actormq::dist {

std::optional<std::uint16_t> BodyTable::add(const mqtt::SharedBytes& body) {
  // Empty bodies own no buffer (data() is null): they all share one entry.
  auto found = index_.find(body.data());
  if (found != index_.end()) {
    return found->second;
  }
  if (bodies_.size() >= max_bodies) {
    return std::nullopt;
  }
  auto i = static_cast<std::uint16_t>(bodies_.size());
  bodies_.push_back(body);
  index_.emplace(body.data(), i);
  bytes_ += body.size();
  return i;
}

void BodyTable::truncate(std::size_t count) {
  while (bodies_.size() > count) {
    index_.erase(bodies_.back().data());
    bytes_ -= bodies_.back().size();
    bodies_.pop_back();
  }
}

void BodyTable::clear() {
  bodies_.clear();
  index_.clear();
  bytes_ = 0;
}

void Encoder::str(std::string_view v, std::uint32_t max) {
  if (v.size() > max) {
    fail(WireError::field_too_long);
    return;
  }
  u32(static_cast<std::uint32_t>(v.size()));
  raw(v);
}

void Encoder::body(const mqtt::SharedBytes& body) {
  auto i = bodies_->add(body);
  if (!i) {
    fail(WireError::frame_too_large);
    return;
  }
  u16(*i);
}

std::uint64_t Decoder::be(std::size_t n) {
  if (error_ || remaining() < n) {
    fail(WireError::truncated);
    return 0;
  }
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    v = (v << 8) | static_cast<std::uint8_t>(in_[pos_ + i]);
  }
  pos_ += n;
  return v;
}

bool Decoder::flag() {
  std::uint8_t v = u8();
  if (v > 1) {
    fail(WireError::bad_value);
  }
  return v == 1;
}

std::string_view Decoder::raw(std::size_t n) {
  if (error_ || remaining() < n) {
    fail(WireError::truncated);
    return {};
  }
  std::string_view v = in_.substr(pos_, n);
  pos_ += n;
  return v;
}

std::string_view Decoder::str(std::uint32_t max) {
  std::uint32_t n = u32();
  if (error_) {
    return {};
  }
  if (n > max) {
    fail(WireError::field_too_long);
    return {};
  }
  return raw(n);
}

mqtt::SharedBytes Decoder::body() {
  std::uint16_t i = u16();
  if (error_) {
    return {};
  }
  if (i >= bodies_.size()) {
    fail(WireError::bad_body_ref);
    return {};
  }
  return bodies_[i];
}

bool Decoder::fits(std::uint64_t count, std::size_t min_size) {
  if (error_) {
    return false;
  }
  if (min_size != 0 && count > remaining() / min_size) {
    fail(WireError::truncated);
    return false;
  }
  return true;
}

}  // namespace actormq::dist
