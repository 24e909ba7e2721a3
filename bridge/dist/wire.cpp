#include "bridge/dist/wire.hpp"

#include <cstdio>

namespace actormq::dist {

namespace {

constexpr std::size_t data_header_size = 1 + 2 + 4;   // kind, body count, entry count
constexpr std::size_t entry_fixed_size = 2 + 2 + 1 + 4;  // receiver count, type, version, length
constexpr std::size_t max_receivers = 0xFFFF;

void put_be(std::string& out, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}

std::uint32_t get_be32(std::string_view s) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v = (v << 8) | static_cast<std::uint8_t>(s[static_cast<std::size_t>(i)]);
  }
  return v;
}

}  // namespace

Result<FrameKind> frame_kind(std::string_view body) {
  if (body.empty()) {
    return FrameKind::tick;
  }
  auto kind = static_cast<std::uint8_t>(body[0]);
  if ((kind >= 1 && kind <= 5) || kind == static_cast<std::uint8_t>(FrameKind::data) ||
      (kind >= static_cast<std::uint8_t>(FrameKind::gossip) &&
       kind <= static_cast<std::uint8_t>(FrameKind::handover_ack))) {
    return static_cast<FrameKind>(kind);
  }
  return WireError::unknown_frame_kind;
}

std::string make_frame(std::string_view body) {
  std::string out;
  out.reserve(frame_prefix_size + body.size());
  put_be(out, body.size(), 4);
  out.append(body);
  return out;
}

std::string tick_frame() { return std::string(frame_prefix_size, '\0'); }
std::string handover_frame() { return make_frame(std::string(1, static_cast<char>(FrameKind::handover))); }
std::string handover_ack_frame() { return make_frame(std::string(1, static_cast<char>(FrameKind::handover_ack))); }

void FrameReader::feed(std::string_view bytes) {
  // Drop what was returned once it is most of the buffer, so a long-lived
  // link does not keep every frame it ever read.
  if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

Result<std::optional<std::string_view>> FrameReader::next() {
  if (failed_) {
    return WireError::frame_too_large;
  }
  if (buffered() < frame_prefix_size) {
    return std::optional<std::string_view>();
  }
  std::uint32_t length = get_be32(std::string_view(buf_).substr(pos_, frame_prefix_size));
  if (length > max_frame_) {
    failed_ = true;
    return WireError::frame_too_large;
  }
  if (buffered() - frame_prefix_size < length) {
    return std::optional<std::string_view>();
  }
  std::string_view body = std::string_view(buf_).substr(pos_ + frame_prefix_size, length);
  pos_ += frame_prefix_size + length;
  return std::optional<std::string_view>(body);
}

std::vector<std::span<const std::uint8_t>> EncodedFrame::pieces() const {
  std::vector<std::span<const std::uint8_t>> out;
  out.reserve(glue_.size() + bodies_.size());
  for (std::size_t i = 0; i < glue_.size(); ++i) {
    out.emplace_back(reinterpret_cast<const std::uint8_t*>(glue_[i].data()), glue_[i].size());
    if (i < bodies_.size() && !bodies_[i].empty()) {
      out.push_back(bodies_[i].span());
    }
  }
  return out;
}

std::string EncodedFrame::flatten() const {
  std::string out;
  out.reserve(size());
  for (auto piece : pieces()) {
    out.append(reinterpret_cast<const char*>(piece.data()), piece.size());
  }
  return out;
}

std::size_t EncodedFrame::size() const noexcept {
  std::size_t n = 0;
  for (const auto& g : glue_) {
    n += g.size();
  }
  for (const auto& b : bodies_) {
    n += b.size();
  }
  return n;
}

std::size_t FrameBuilder::size() const noexcept {
  return frame_prefix_size + data_header_size + 4 * bodies_.size() + bodies_.bytes() + entry_bytes_.size();
}

Status FrameBuilder::add(std::span<const sched::Pid> to, const sched::Message& msg) {
  if (to.empty()) {
    return WireError::no_receivers;
  }
  if (to.size() > max_receivers) {
    return WireError::bad_value;
  }
  const Registry::Entry* type = registry_->find_local(msg.type());
  if (!type) {
    return WireError::not_registered;
  }
  std::size_t mark = bodies_.size();
  Encoder payload_out(bodies_);
  type->encode(payload_out, msg);
  std::string payload = payload_out.take();
  std::size_t grown = size() + entry_fixed_size + 8 * to.size() + payload.size();
  std::optional<WireError> error = payload_out.error();
  if (!error && grown > max_frame_) {
    error = WireError::frame_too_large;
  }
  if (error) {
    bodies_.truncate(mark);
    return *error;
  }
  put_be(entry_bytes_, to.size(), 2);
  for (sched::Pid pid : to) {
    put_be(entry_bytes_, pid.bits(), 8);
  }
  put_be(entry_bytes_, type->info.id, 2);
  put_be(entry_bytes_, type->info.version, 1);
  put_be(entry_bytes_, payload.size(), 4);
  entry_bytes_.append(payload);
  ++entries_;
  return Ok{};
}

EncodedFrame FrameBuilder::finish() {
  const auto& bodies = bodies_.bodies();
  std::vector<std::string> glue(bodies.size() + 1);
  put_be(glue[0], size() - frame_prefix_size, 4);
  glue[0].push_back(static_cast<char>(FrameKind::data));
  put_be(glue[0], bodies.size(), 2);
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    put_be(glue[i], bodies[i].size(), 4);
  }
  std::string& tail = glue.back();
  put_be(tail, entries_, 4);
  tail.append(entry_bytes_);
  EncodedFrame frame(std::move(glue), bodies);
  bodies_.clear();
  entry_bytes_.clear();
  entries_ = 0;
  return frame;
}

namespace {

Result<std::vector<mqtt::SharedBytes>> read_bodies(Decoder& in) {
  std::uint16_t count = in.u16();
  std::vector<mqtt::SharedBytes> bodies;
  if (!in.fits(count, 4)) {
    return *in.error();
  }
  bodies.reserve(count);
  for (std::uint16_t i = 0; i < count && in.ok(); ++i) {
    std::uint32_t length = in.u32();
    std::string_view bytes = in.raw(length);
    bodies.push_back(in.ok() ? mqtt::SharedBytes::copy_of(bytes) : mqtt::SharedBytes());
  }
  if (!in.ok()) {
    return *in.error();
  }
  return bodies;
}

struct EntryView {
  std::vector<sched::Pid> to;
  std::uint16_t type = 0;
  std::uint8_t version = 0;
  std::string_view payload;
};

EntryView read_entry(Decoder& in) {
  EntryView e;
  std::uint16_t receivers = in.u16();
  if (in.ok() && receivers == 0) {
    in.fail(WireError::no_receivers);
  }
  if (!in.fits(receivers, 8)) {
    return e;
  }
  e.to.reserve(receivers);
  for (std::uint16_t i = 0; i < receivers; ++i) {
    e.to.push_back(in.pid());
  }
  e.type = in.u16();
  e.version = in.u8();
  e.payload = in.raw(in.u32());
  return e;
}

}  // namespace

Result<DecodedFrame> decode_frame(std::string_view body, const Registry& registry) {
  Decoder in(body);
  if (in.u8() != static_cast<std::uint8_t>(FrameKind::data)) {
    return in.ok() ? WireError::unknown_frame_kind : WireError::truncated;
  }
  auto bodies = read_bodies(in);
  if (!bodies) {
    return bodies.error();
  }
  std::uint32_t count = in.u32();
  if (!in.fits(count, entry_fixed_size + 8)) {
    return *in.error();
  }
  // Framing first: nothing is decoded unless the whole frame holds together.
  std::vector<EntryView> entries;
  entries.reserve(count);
  for (std::uint32_t i = 0; i < count && in.ok(); ++i) {
    entries.push_back(read_entry(in));
  }
  if (!in.ok()) {
    return *in.error();
  }
  if (!in.at_end()) {
    return WireError::trailing_bytes;
  }
  DecodedFrame out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const EntryView& e = entries[i];
    for (sched::Pid to : e.to) {
      auto msg = registry.decode(e.type, e.version, e.payload, *bodies);
      if (!msg) {
        // The same bytes fail the same way for every receiver: one refusal.
        out.refused.push_back(Refusal{i, e.type, e.version, e.to.size(), msg.error()});
        break;
      }
      out.deliveries.push_back(Delivery{to, std::move(msg).value()});
    }
  }
  return out;
}

std::string describe(const Refusal& refusal, const Registry& registry) {
  const Registry::Entry* type = registry.find(refusal.type);
  char head[96];
  std::snprintf(head, sizeof head, "entry %zu: type 0x%04x (%s) v%u for %zu pid%s: ", refusal.entry,
                static_cast<unsigned>(refusal.type), type ? std::string(type->info.name).c_str() : "unknown",
                static_cast<unsigned>(refusal.version), refusal.receivers, refusal.receivers == 1 ? "" : "s");
  return std::string(head) + std::string(to_string(refusal.error));
}

}  // namespace actormq::dist
