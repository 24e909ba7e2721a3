#include "mqtt/parser.hpp"

#include <algorithm>

#include "mqtt/reader.hpp"

namespace actormq::mqtt {

namespace {

// A header alone must not make the parser reserve a whole maximum-size packet
// (5 bytes from a client would pin max_packet_size of memory); beyond this the
// buffer grows as the body actually arrives.
constexpr std::size_t max_eager_reserve = 64 * 1024;

// CONNECT (type 1) with the flags nibble 0 (§2.1.3).
constexpr std::uint8_t connect_first_byte = 0x10;

Parsed failed(Parsed out, Error error) noexcept {
  out.status = ParseStatus::error;
  out.error = error;
  return out;
}

}  // namespace

HeaderParse parse_fixed_header(std::span<const std::uint8_t> input,
                               std::size_t max_packet_size) noexcept {
  HeaderParse out{ParseStatus::need_more, {}, {ErrorCode::truncated, {}}};
  if (input.empty()) {
    return out;
  }
  const std::uint8_t type = input[0] >> 4;
  if (type == 0) {
    out.status = ParseStatus::error;
    out.error = make_error(ErrorCode::reserved_packet_type);
    return out;
  }
  VarintDecode len = decode_varint(input.subspan(1));
  if (len.status == VarintDecode::Status::need_more) {
    return out;
  }
  if (len.status == VarintDecode::Status::invalid) {
    out.status = ParseStatus::error;
    out.error = make_error(ErrorCode::bad_remaining_length);
    return out;
  }
  out.header = FixedHeader{static_cast<PacketType>(type),
                           static_cast<std::uint8_t>(input[0] & 0x0F), len.value,
                           static_cast<std::uint8_t>(1 + len.size)};
  if (out.header.total_size() > std::min(max_packet_size, max_packet_size_limit)) {
    out.status = ParseStatus::error;
    out.error = make_error(ErrorCode::packet_too_large);
    return out;
  }
  out.status = ParseStatus::packet;
  return out;
}

Parsed parse_frame(std::span<const std::uint8_t> input, const ParserOptions& options) {
  Parsed out;
  out.version = options.version;
  if (options.connect_first && !input.empty() && input[0] != connect_first_byte) {
    return failed(std::move(out), make_error(ErrorCode::connect_expected));
  }
  HeaderParse h = parse_fixed_header(input, options.max_packet_size);
  if (h.status == ParseStatus::error) {
    return failed(std::move(out), h.error);
  }
  if (h.status == ParseStatus::need_more) {
    return out;
  }
  out.frame_size = h.header.total_size();
  if (input.size() < out.frame_size) {
    return out;
  }
  auto body = input.subspan(h.header.size, h.header.remaining_length);
  Result<Packet> packet = decode_packet(h.header, body, options.version);
  if (h.header.type == PacketType::connect) {
    if (auto v = connect_protocol_version(body)) {
      out.version = *v;
    }
  }
  if (!packet) {
    return failed(std::move(out), packet.error());
  }
  out.status = ParseStatus::packet;
  out.consumed = out.frame_size;
  out.packet = std::move(packet).value();
  return out;
}

Parsed Parser::parse(std::span<const std::uint8_t> input) {
  if (partial_) {
    return resume(input);
  }
  Parsed r = parse_frame(input, options_);
  if (r.status == ParseStatus::need_more && !input.empty()) {
    partial_ = std::make_unique<std::vector<std::uint8_t>>();
    partial_->reserve(std::max(std::min(r.frame_size, max_eager_reserve), input.size()));
    partial_->assign(input.begin(), input.end());
    r.consumed = input.size();
  }
  return finish(std::move(r));
}

Parsed Parser::resume(std::span<const std::uint8_t> input) {
  std::vector<std::uint8_t>& partial = *partial_;
  std::size_t used = 0;
  // The fixed header is at most 5 bytes but the packet may be shorter, so it
  // is completed one byte at a time to never take bytes of the next packet.
  HeaderParse h = parse_fixed_header(partial, options_.max_packet_size);
  while (h.status == ParseStatus::need_more && used < input.size()) {
    partial.push_back(input[used++]);
    h = parse_fixed_header(partial, options_.max_packet_size);
  }
  Parsed out;
  out.version = options_.version;
  out.consumed = used;
  if (h.status == ParseStatus::error) {
    return failed(std::move(out), h.error);
  }
  if (h.status == ParseStatus::need_more) {
    return out;
  }
  const std::size_t total = h.header.total_size();
  out.frame_size = total;
  const std::size_t take = std::min(total - partial.size(), input.size() - used);
  partial.reserve(std::min(total, partial.size() + std::max(take, max_eager_reserve)));
  partial.insert(partial.end(), input.begin() + static_cast<std::ptrdiff_t>(used),
                  input.begin() + static_cast<std::ptrdiff_t>(used + take));
  used += take;
  out.consumed = used;
  if (partial.size() < total) {
    return out;
  }
  std::vector<std::uint8_t> frame = std::move(partial);
  partial_.reset();
  Parsed r = parse_frame(frame, options_);
  r.consumed = used;
  return finish(std::move(r));
}

Parsed Parser::finish(Parsed result) {
  options_.version = result.version;
  if (result.status == ParseStatus::packet) {
    if (const auto* c = std::get_if<Connect>(&result.packet)) {
      options_.version = c->version;
      options_.connect_first = false;
    }
  }
  return result;
}

}  // namespace actormq::mqtt
