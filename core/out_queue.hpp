#pragma once
// Bytes waiting to go out on one connection: encoded packets and shared
// payloads, written with writev so a fanned-out payload is never copied.
// Empty when flushed: an idle session holds no write buffer.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mqtt/bytes.hpp"
#include "mqtt/encode.hpp"
#include "mqtt/packets.hpp"
#include "net/stream.hpp"

namespace actormq::core {

class OutQueue {
 public:
  enum class Flushed : std::uint8_t { all, partial, closed };

  /// Encodes and appends a control packet; false if it could not be encoded.
  [[nodiscard]] bool append(const mqtt::Packet& packet, mqtt::ProtocolVersion version);
  /// Appends a PUBLISH: its header encoded here, its payload shared.
  [[nodiscard]] bool append_publish(const mqtt::PublishHeader& header,
                                    const mqtt::SharedBytes& payload,
                                    mqtt::ProtocolVersion version);
  /// Writes as much as the stream takes (a bounded number of writev calls),
  /// then flushes what the stream itself holds: `all` only when both are empty.
  Flushed flush(net::Stream& stream);
  std::size_t pending_bytes() const { return pending_; }
  bool empty() const { return pending_ == 0; }
  void clear();

 private:
  /// A run of bytes: in `bytes_` at [offset, offset + length) when `payload`
  /// is empty, else the payload itself.
  struct Segment {
    std::size_t offset;
    std::size_t length;
    mqtt::SharedBytes payload;
  };
  void add_own(std::size_t offset, std::size_t length);
  /// Gives this queue buffers from its thread's spares (see out_queue.cpp).
  void take_spares();

  struct Spares;
  static Spares& spares();

  std::vector<std::uint8_t> bytes_;
  std::vector<Segment> segments_;
  std::size_t pending_ = 0;
  // 32 bits each: a segment is at most one packet (< 2^28 bytes), and every
  // idle session carries these (memory per idle connection is a target).
  std::uint32_t head_ = 0;          // first segment not fully written
  std::uint32_t head_written_ = 0;  // bytes of it already written
};

}  // namespace actormq::core
