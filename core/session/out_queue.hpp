#pragma once
// Bytes waiting to go out on one connection: encoded packets and shared
// payloads, written with writev so a fanned-out payload is never copied.
// Empty when flushed: an idle session holds no write buffer.
//
// Encoded bytes live in blocks of about block_bytes, each with the segments
// that use it; a block is released as soon as all of it is written, not when
// the whole backlog is, which a reader that is always a little behind never
// lets happen. What the queue holds is thus its unwritten bytes and at most
// one partly written block.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "mqtt/bytes.hpp"
#include "mqtt/encode.hpp"
#include "mqtt/packets.hpp"
#include "net/stream.hpp"

namespace actormq::core {

/// Owner-only: one session process appends and flushes.
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
  /// Bytes appended and not yet taken by the stream (payloads included).
  std::size_t pending_bytes() const { return state_ ? state_->pending : 0; }
  bool empty() const { return pending_bytes() == 0; }
  /// Bytes of buffers this queue holds (encoded bytes and segment lists, by
  /// capacity; shared payloads not included), for tests and limits.
  std::size_t buffer_bytes() const;
  void clear();

 private:
  /// A run of bytes: in its block's `bytes` at [offset, offset + length)
  /// when `payload` is empty, else the payload itself. 32-bit fields: a run
  /// is at most a block, a payload at most one packet (< 2^28 bytes).
  struct Segment {
    std::uint32_t offset;
    std::uint32_t length;
    mqtt::SharedBytes payload;
  };
  struct Block {
    std::vector<std::uint8_t> bytes;
    std::vector<Segment> segments;
  };
  /// What a queue holds while it has bytes to write; none once flushed.
  struct State {
    /// [head_block, size) hold what is not written yet; blocks before
    /// head_block are released (empty) and erased now and then.
    std::vector<Block> blocks;
    std::size_t pending = 0;
    std::uint32_t head_block = 0;
    std::uint32_t head = 0;          // first segment of the head block not fully written
    std::uint32_t head_written = 0;  // bytes of it already written
  };
  /// The block new bytes go to: the last one, or a new one when it is full.
  Block& tail();
  void add_own(Block& block, std::size_t offset, std::size_t length);
  /// Takes `written` bytes off the front, releasing each block written whole.
  void advance(std::size_t written);
  /// The head block is written: its buffers go to the thread's spares.
  void release_head();

  struct Spares;
  static Spares& spares();
  static void recycle(Block&& block);

  /// Null while nothing is pending: an idle connection pays one pointer
  /// (memory per idle connection is a target; BENCHMARKS.md).
  std::unique_ptr<State> state_;
};

}  // namespace actormq::core
