#include "core/session/out_queue.hpp"


namespace actormq::core {

namespace {
// libuv's stream.c bound: a connection gets this many writes per wake.
constexpr int writes_per_flush = 32;
constexpr int max_iov = 256;
// A block takes packets until it holds this many encoded bytes or segments:
// small enough that the partly written block a slow reader keeps pins little,
// large enough that a flush seldom spans many (a PUBLISH header is 5-40 bytes).
constexpr std::size_t block_bytes = 16384;
constexpr std::size_t block_segments = 1024;
// Spare blocks kept per thread: enough for the sessions one slice writes to,
// never a big burst's worth. A block's bytes pass block_bytes by the packet
// that fills it (a vector doubles): a block larger than twice that is freed.
constexpr std::size_t max_spares = 32;
constexpr std::size_t max_spare_bytes = 2 * block_bytes;
constexpr std::size_t max_spare_list = 16;
// Released blocks are erased from the front of the list once they are this
// many and at least half of it: amortised, a block is moved about once.
constexpr std::uint32_t compact_after = 8;
}  // namespace

// Released blocks go to the thread's spares and the next queue that writes
// takes them: a busy scheduler allocates no write buffer per flush (fan-out
// flushes thousands a second), and an idle connection still holds none.
struct OutQueue::Spares {
  std::vector<Block> blocks;                  // empty, with their capacity
  std::vector<std::unique_ptr<State>> states;  // empty, their block lists with their capacity
};

OutQueue::Spares& OutQueue::spares() {
  thread_local Spares s;
  return s;
}

void OutQueue::recycle(Block&& block) {
  Block b = std::move(block);
  b.segments.clear();  // releases shared payloads now, not when the spare is reused
  b.bytes.clear();
  Spares& s = spares();
  if (s.blocks.size() < max_spares && b.bytes.capacity() <= max_spare_bytes &&
      b.segments.capacity() <= block_segments) {
    s.blocks.push_back(std::move(b));
  }
}

OutQueue::Block& OutQueue::tail() {
  Spares& s = spares();
  if (!state_) {
    if (!s.states.empty()) {
      state_ = std::move(s.states.back());
      s.states.pop_back();
    } else {
      state_ = std::make_unique<State>();
    }
  }
  State& q = *state_;
  if (q.blocks.size() > q.head_block) {
    Block& last = q.blocks.back();
    // A PUBLISH adds up to two segments.
    if (last.bytes.size() < block_bytes && last.segments.size() + 2 <= block_segments) {
      return last;
    }
  }
  if (!s.blocks.empty()) {
    q.blocks.push_back(std::move(s.blocks.back()));
    s.blocks.pop_back();
  } else {
    q.blocks.emplace_back();
  }
  return q.blocks.back();
}

void OutQueue::add_own(Block& block, std::size_t offset, std::size_t length) {
  state_->pending += length;
  // Extend the previous segment when the new bytes follow it in the block
  // (a block's last segment is never fully written: a written block goes).
  if (!block.segments.empty()) {
    Segment& last = block.segments.back();
    if (last.payload.empty() && last.offset + last.length == offset) {
      last.length += static_cast<std::uint32_t>(length);
      return;
    }
  }
  block.segments.push_back(Segment{static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(length), {}});
}

bool OutQueue::append(const mqtt::Packet& packet, mqtt::ProtocolVersion version) {
  Block& b = tail();
  std::size_t offset = b.bytes.size();
  auto n = mqtt::encode_append(packet, version, b.bytes);
  if (!n) {
    return false;
  }
  add_own(b, offset, *n);
  return true;
}

bool OutQueue::append_publish(const mqtt::PublishHeader& header, const mqtt::SharedBytes& payload,
                              mqtt::ProtocolVersion version) {
  Block& b = tail();
  std::size_t offset = b.bytes.size();
  auto layout = mqtt::encode_publish_header(header, version, b.bytes);
  if (!layout) {
    return false;
  }
  add_own(b, offset, layout->header_size);
  if (!payload.empty()) {
    // Small payloads are cheaper copied than referenced by their own iovec.
    if (payload.size() <= 64) {
      std::size_t at = b.bytes.size();
      b.bytes.insert(b.bytes.end(), payload.data(), payload.data() + payload.size());
      add_own(b, at, payload.size());
    } else {
      b.segments.push_back(Segment{0, static_cast<std::uint32_t>(payload.size()), payload});
      state_->pending += payload.size();
    }
  }
  return true;
}

void OutQueue::release_head() {
  State& q = *state_;
  recycle(std::move(q.blocks[q.head_block]));
  ++q.head_block;
  q.head = 0;
  q.head_written = 0;
  if (q.head_block == q.blocks.size()) {
    q.blocks.clear();  // all written; the state itself goes in clear()
    q.head_block = 0;
  } else if (q.head_block >= compact_after && std::size_t{q.head_block} * 2 >= q.blocks.size()) {
    q.blocks.erase(q.blocks.begin(), q.blocks.begin() + q.head_block);
    q.head_block = 0;
  }
}

void OutQueue::advance(std::size_t written) {
  State& q = *state_;
  q.pending -= written;
  while (written > 0) {
    Block& b = q.blocks[q.head_block];
    Segment& s = b.segments[q.head];
    std::size_t left = s.length - q.head_written;
    if (written < left) {
      q.head_written += static_cast<std::uint32_t>(written);
      return;
    }
    written -= left;
    s.payload = {};  // a written payload goes now, not with its block
    q.head_written = 0;
    if (++q.head == b.segments.size()) {
      release_head();
    }
  }
}

OutQueue::Flushed OutQueue::flush(net::Stream& stream) {
  for (int round = 0; round < writes_per_flush && pending_bytes() > 0; ++round) {
    const State& q = *state_;
    iovec iov[max_iov];
    int n = 0;
    std::size_t skip = q.head_written;
    for (std::size_t k = q.head_block; k < q.blocks.size() && n < max_iov; ++k) {
      const Block& b = q.blocks[k];
      for (std::size_t i = k == q.head_block ? q.head : 0; i < b.segments.size() && n < max_iov; ++i, ++n) {
        const Segment& s = b.segments[i];
        const std::uint8_t* base = s.payload.empty() ? b.bytes.data() + s.offset : s.payload.data();
        iov[n].iov_base = const_cast<std::uint8_t*>(base + skip);
        iov[n].iov_len = s.length - skip;
        skip = 0;
      }
    }
    net::IoResult r = stream.writev(iov, n);
    if (r.status == net::IoResult::Status::would_block) {
      return Flushed::partial;
    }
    if (r.status != net::IoResult::Status::ok) {
      return Flushed::closed;
    }
    advance(r.bytes);
  }
  if (pending_bytes() != 0) {
    return Flushed::partial;
  }
  clear();
  net::IoResult r = stream.flush();
  if (r.status == net::IoResult::Status::would_block) {
    return Flushed::partial;
  }
  return r.status == net::IoResult::Status::ok ? Flushed::all : Flushed::closed;
}

std::size_t OutQueue::buffer_bytes() const {
  if (!state_) {
    return 0;
  }
  std::size_t n = sizeof(State) + state_->blocks.capacity() * sizeof(Block);
  for (const Block& b : state_->blocks) {
    n += b.bytes.capacity() + b.segments.capacity() * sizeof(Segment);
  }
  return n;
}

void OutQueue::clear() {
  // An idle connection keeps no write buffer: a small one kept per connection
  // costs more over 10^5 idle clients than the allocation it saves. The
  // buffers go to the thread's spares instead, for the next queue.
  if (!state_) {
    return;
  }
  State& q = *state_;
  for (std::size_t k = q.head_block; k < q.blocks.size(); ++k) {
    recycle(std::move(q.blocks[k]));
  }
  q.blocks.clear();
  q.pending = 0;
  q.head_block = 0;
  q.head = 0;
  q.head_written = 0;
  Spares& s = spares();
  if (s.states.size() < max_spares && q.blocks.capacity() <= max_spare_list) {
    s.states.push_back(std::move(state_));
  }
  state_.reset();
}

}  // namespace actormq::core
