#include "core/out_queue.hpp"

#include <climits>

namespace actormq::core {

namespace {
// libuv's stream.c bound: a connection gets this many writes per wake.
constexpr int writes_per_flush = 32;
constexpr int max_iov = 256;
// Spare buffers kept per thread, and the largest kept: enough for the
// sessions one slice writes to, never a big burst's worth.
constexpr std::size_t max_spares = 64;
constexpr std::size_t max_spare_bytes = 16384;
}  // namespace

// Flushed queues hand their buffers to the thread's spares and the next queue
// that writes takes them: a busy scheduler allocates no write buffer per
// flush (fan-out flushes thousands a second), and an idle connection still
// holds none.
struct OutQueue::Spares {
  std::vector<std::vector<std::uint8_t>> bytes;
  std::vector<std::vector<Segment>> segments;
};

OutQueue::Spares& OutQueue::spares() {
  thread_local Spares s;
  return s;
}

void OutQueue::take_spares() {
  Spares& s = spares();
  if (bytes_.capacity() == 0 && !s.bytes.empty()) {
    bytes_ = std::move(s.bytes.back());
    s.bytes.pop_back();
  }
  if (segments_.capacity() == 0 && !s.segments.empty()) {
    segments_ = std::move(s.segments.back());
    s.segments.pop_back();
  }
}

void OutQueue::add_own(std::size_t offset, std::size_t length) {
  // Extend the previous segment when the new bytes follow it in bytes_.
  if (segments_.size() > head_) {
    Segment& last = segments_.back();
    if (last.payload.empty() && last.offset + last.length == offset) {
      last.length += length;
      pending_ += length;
      return;
    }
  }
  segments_.push_back(Segment{offset, length, {}});
  pending_ += length;
}

bool OutQueue::append(const mqtt::Packet& packet, mqtt::ProtocolVersion version) {
  take_spares();
  std::size_t offset = bytes_.size();
  auto n = mqtt::encode_append(packet, version, bytes_);
  if (!n) {
    return false;
  }
  add_own(offset, *n);
  return true;
}

bool OutQueue::append_publish(const mqtt::PublishHeader& header, const mqtt::SharedBytes& payload,
                              mqtt::ProtocolVersion version) {
  take_spares();
  std::size_t offset = bytes_.size();
  auto layout = mqtt::encode_publish_header(header, version, bytes_);
  if (!layout) {
    return false;
  }
  add_own(offset, layout->header_size);
  if (!payload.empty()) {
    // Small payloads are cheaper copied than referenced by their own iovec.
    if (payload.size() <= 64) {
      std::size_t at = bytes_.size();
      bytes_.insert(bytes_.end(), payload.data(), payload.data() + payload.size());
      add_own(at, payload.size());
    } else {
      segments_.push_back(Segment{0, payload.size(), payload});
      pending_ += payload.size();
    }
  }
  return true;
}

OutQueue::Flushed OutQueue::flush(net::Stream& stream) {
  for (int round = 0; round < writes_per_flush && pending_ > 0; ++round) {
    iovec iov[max_iov];
    int n = 0;
    for (std::size_t i = head_; i < segments_.size() && n < max_iov; ++i, ++n) {
      const Segment& s = segments_[i];
      const std::uint8_t* base = s.payload.empty() ? bytes_.data() + s.offset : s.payload.data();
      std::size_t skip = i == head_ ? head_written_ : 0;
      iov[n].iov_base = const_cast<std::uint8_t*>(base + skip);
      iov[n].iov_len = s.length - skip;
    }
    net::IoResult r = stream.writev(iov, n);
    if (r.status == net::IoResult::Status::would_block) {
      return Flushed::partial;
    }
    if (r.status != net::IoResult::Status::ok) {
      return Flushed::closed;
    }
    std::size_t written = r.bytes;
    pending_ -= written;
    while (written > 0) {
      Segment& s = segments_[head_];
      std::size_t left = s.length - head_written_;
      if (written < left) {
        head_written_ += static_cast<std::uint32_t>(written);
        break;
      }
      written -= left;
      s.payload = {};
      ++head_;
      head_written_ = 0;
    }
  }
  if (pending_ != 0) {
    return Flushed::partial;
  }
  if (!bytes_.empty() || !segments_.empty()) {
    clear();
  }
  net::IoResult r = stream.flush();
  if (r.status == net::IoResult::Status::would_block) {
    return Flushed::partial;
  }
  return r.status == net::IoResult::Status::ok ? Flushed::all : Flushed::closed;
}

void OutQueue::clear() {
  // An idle connection keeps no write buffer: a small one kept per connection
  // costs more over 10^5 idle clients than the allocation it saves. The
  // buffers go to the thread's spares instead, for the next queue.
  Spares& s = spares();
  bytes_.clear();
  if (s.bytes.size() < max_spares && bytes_.capacity() <= max_spare_bytes) {
    s.bytes.push_back(std::move(bytes_));
  }
  std::vector<std::uint8_t>().swap(bytes_);
  for (Segment& seg : segments_) {
    seg.payload = {};  // release shared payloads now, not when the spare is reused
  }
  segments_.clear();
  if (s.segments.size() < max_spares && segments_.capacity() * sizeof(Segment) <= max_spare_bytes) {
    s.segments.push_back(std::move(segments_));
  }
  std::vector<Segment>().swap(segments_);
  head_ = 0;
  head_written_ = 0;
  pending_ = 0;
}

}  // namespace actormq::core
