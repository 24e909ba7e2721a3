#include "core/session/connection.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <utility>

#include "core/logger.hpp"
#include "sched/runtime.hpp"
#include "sched/scheduler.hpp"

namespace actormq::core {

namespace {
// Reads per wake-up, as libuv's stream.c bounds them: a busy client cannot
// hold its scheduler.
constexpr int reads_per_wake = 32;
// A client that does not read: first its messages stop at max_queued_bytes
// (QoS 0 dropped, deliver.cpp); should its backlog grow on (acknowledgements
// of its own publishes, in-flight messages resent), it is disconnected
// (redis's client-output-buffer-limit) at 64 MB, or at twice
// max_queued_bytes and a packet when that is more.
constexpr std::size_t close_backlog_bytes = 64u << 20;
std::size_t close_backlog(const Limits& limits) {
  return std::max(close_backlog_bytes, 2 * limits.max_queued_bytes + limits.max_packet_size);
}

// The per-scheduler read buffer: a connection keeps only a partial packet.
std::span<std::uint8_t> read_buffer() {
  thread_local std::array<std::uint8_t, 64 * 1024> buffer;
  return buffer;
}
}  // namespace

std::uint64_t ConnectionOwner::loop_ms() const { return uv_now(scheduler().loop()); }

net::Socket* ConnectionOwner::adopt(int fd) { return net::Socket::adopt(scheduler().loop(), fd, self(), runtime()); }

Connection::~Connection() {
  if (owns_fd_) {
    ::close(static_cast<int>(fd_));  // its owner never started
  }
}

void Connection::open(ConnectionOwner& owner, const net::Transport* transport) {
  if (!owns_fd_) {
    return;
  }
  owns_fd_ = false;
  net::Socket* socket = owner.adopt(static_cast<int>(fd_));
  stream_ = transport != nullptr ? transport->wrap(socket) : socket;
  last_read_ms_ = owner.loop_ms();
}

void Connection::read(ConnectionOwner& owner) {
  if (stream_ == nullptr || owner.reading_paused() || owner.input_waits()) {
    return;  // paused: the client's bytes wait in the kernel, TCP slows it down
  }
  std::span<std::uint8_t> buffer = read_buffer();
  for (int i = 0; i < reads_per_wake; ++i) {
    net::IoResult r = stream_->read(buffer);
    if (r.status == net::IoResult::Status::would_block) {
      stream_->want_read(true);
      return;
    }
    if (r.status == net::IoResult::Status::again) {
      if (stream_->established() && Logger::global().enabled(LogLevel::debug)) {
        if (std::string summary = stream_->summary(); !summary.empty()) {
          ACTORMQ_LOG_DEBUG(stream_->kind() << " connection from " << stream_->peer() << " established: "
                                            << summary);
        }
      }
      // A transport handshake step: costly crypto, charged like a large read.
      owner.charge(net::handshake_step_cost);
      if (owner.out_of_budget()) {
        break;
      }
      continue;
    }
    if (r.status != net::IoResult::Status::ok) {
      if (r.status == net::IoResult::Status::error) {
        owner.metrics().add(Counter::malformed);
        ACTORMQ_LOG_NOTICE(stream_->kind() << " connection from " << stream_->peer() << ": "
                                           << stream_->describe(r.error) << "; closing");
        lost(owner, ConnectionLoss::error);
      } else {
        lost(owner, ConnectionLoss::closed);
      }
      return;
    }
    owner.metrics().add(Counter::bytes_received, static_cast<std::int64_t>(r.bytes));
    owner.charge(static_cast<std::uint32_t>(r.bytes / 256));
    if (!feed(owner, buffer.first(r.bytes))) {
      return;
    }
    if (owner.input_waits()) {
      return;  // the rest is held until the owner replays it
    }
    if (owner.out_of_budget() || owner.reading_paused()) {
      break;
    }
    if (r.bytes < buffer.size() && stream_->drained_by_short_read()) {
      stream_->want_read(true);  // saves the read(2) that would say EAGAIN
      return;
    }
  }
  // More may be waiting: continue after the other processes had their turn.
  owner.read_later();
}

bool Connection::replay_held(ConnectionOwner& owner) {
  if (held_) {
    std::unique_ptr<std::vector<std::uint8_t>> held = std::move(held_);
    if (!feed(owner, *held)) {
      return false;
    }
  }
  return stream_ != nullptr;
}

void Connection::want_read() {
  if (stream_ != nullptr) {
    stream_->want_read(true);
  }
}

bool Connection::feed(ConnectionOwner& owner, std::span<const std::uint8_t> in) {
  while (!in.empty()) {
    if (owner.input_waits()) {
      // Kept in order until the owner lets input through again.
      if (!held_) {
        held_ = std::make_unique<std::vector<std::uint8_t>>();
      }
      held_->insert(held_->end(), in.begin(), in.end());
      return true;
    }
    mqtt::Parsed parsed = parser_.parse(in);
    in = in.subspan(parsed.consumed);
    if (parsed.status == mqtt::ParseStatus::need_more) {
      return true;
    }
    if (parsed.status == mqtt::ParseStatus::error) {
      owner.metrics().add(Counter::malformed);
      owner.on_parse_error(parsed.error, parsed.version);
      close(owner);
      return false;
    }
    last_read_ms_ = owner.loop_ms();
    owner.on_packet(parsed.packet);
    if (stream_ == nullptr) {
      return false;
    }
  }
  return true;
}

bool Connection::send(const mqtt::Packet& packet, mqtt::ProtocolVersion version) {
  if (stream_ == nullptr) {
    return true;
  }
  return out_.append(packet, version);
}

bool Connection::send_publish(const mqtt::PublishHeader& header, const mqtt::SharedBytes& payload,
                              mqtt::ProtocolVersion version) {
  if (stream_ == nullptr) {
    return true;
  }
  return out_.append_publish(header, payload, version);
}

void Connection::flush(ConnectionOwner& owner) {
  if (stream_ == nullptr) {
    return;
  }
  std::size_t before = out_.pending_bytes();
  OutQueue::Flushed f = out_.flush(*stream_);
  owner.metrics().add(Counter::bytes_sent, static_cast<std::int64_t>(before - out_.pending_bytes()));
  if (f == OutQueue::Flushed::closed) {
    lost(owner, ConnectionLoss::closed);
  } else if (f == OutQueue::Flushed::partial) {
    if (out_.pending_bytes() > close_backlog(owner.limits())) {
      lost(owner, ConnectionLoss::backlog);
      return;
    }
    stream_->want_write(true);
  }
}

void Connection::lost(ConnectionOwner& owner, ConnectionLoss loss) {
  owner.on_connection_lost(loss);
  close(owner);  // the owner's close went first; this one finds nothing left
}

void Connection::close(ConnectionOwner& owner) {
  if (net::Stream* s = std::exchange(stream_, nullptr)) {
    // The last packets (e.g. DISCONNECT) go before the FIN, if the peer still
    // takes them. A failed write here only says the peer is gone: closing
    // must not report it again (a report's handler closes the stream first).
    std::size_t before = out_.pending_bytes();
    (void)out_.flush(*s);
    owner.metrics().add(Counter::bytes_sent, static_cast<std::int64_t>(before - out_.pending_bytes()));
    s->close();
  } else if (owns_fd_) {
    ::close(static_cast<int>(fd_));  // closed before open() adopted the descriptor
  }
  owns_fd_ = false;
  out_.clear();
  parser_.reset();
  held_.reset();
  slot_.release();
}

}  // namespace actormq::core
