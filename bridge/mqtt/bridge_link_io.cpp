// BridgeLink's socket: dial without blocking (net/dial.hpp), TLS when the
// bridge has it, read into the protocol, write what it answers.
#include <array>
#include <cstring>

#include "bridge/mqtt/bridge_link.hpp"
#include "core/logger.hpp"
#include "net/dial.hpp"
#include "sched/scheduler.hpp"

namespace actormq::bridge {

namespace {

// Reads per wake before the bridge lets other processes run (as a session does).
constexpr int reads_per_wake = 16;
constexpr std::size_t read_size = 64 * 1024;

}  // namespace

void BridgeLink::dial() {
  ++generation_;
  set_state(State::connecting);
  const core::SeedAddress& to = setup_->endpoints[endpoint_];
  net::DialStarted started = net::start_dial(to.host, to.port);
  if (started.fd < 0) {
    lost(started.error);
    return;
  }
  socket_ = net::Socket::adopt(scheduler().loop(), started.fd, self(), runtime());
  stream_ = socket_;
  socket_->want_write(true);  // writable: the connect is over, one way or the other
  send_after(self(), sched::make_message<ConnectDeadline>(generation_), connect_timeout_ms);
}

void BridgeLink::on_socket(const net::SocketReady& ready) {
  if (stream_ == nullptr) {
    return;
  }
  if (state_ == State::connecting) {
    if (ready.writable) {
      on_connected();
    }
    return;
  }
  if (ready.writable) {
    flush();
  }
  if (ready.readable && stream_ != nullptr) {
    read();
  }
}

void BridgeLink::on_connected() {
  if (int err = net::dial_outcome(socket_->fd()); err != 0) {
    lost(std::string("connect: ") + std::strerror(err));
    return;
  }
  set_state(State::handshaking);
  if (setup_->tls) {
    // The certificate must name the host or address dialled (an IP address
    // against its IP entries: net/tls_names).
    stream_ = setup_->tls->connect(socket_, setup_->endpoints[endpoint_].host);
  }
  execute(client_.start(now_ms()));  // written once TLS is up
  if (stream_ != nullptr) {
    read();  // a TLS handshake starts with the first read
  }
}

void BridgeLink::read() {
  static thread_local std::array<std::uint8_t, read_size> buffer;
  for (int i = 0; i < reads_per_wake && stream_ != nullptr; ++i) {
    net::IoResult r = stream_->read(buffer);
    if (r.status == net::IoResult::Status::would_block) {
      stream_->want_read(true);
      if (unsent() != 0) {
        flush();  // what waited for a TLS handshake to end
      }
      return;
    }
    if (r.status == net::IoResult::Status::again) {
      consume(50);  // a TLS handshake step: costly crypto
      continue;
    }
    if (r.status != net::IoResult::Status::ok) {
      if (r.status == net::IoResult::Status::error && !stream_->established()) {
        // E.g. the remote's certificate refused: the operator must see why.
        ACTORMQ_LOG_WARNING(who() << ": " << stream_->describe(r.error));
        lost("no TLS session");
        return;
      }
      lost(r.status == net::IoResult::Status::closed ? "closed by the remote" : "read: " + stream_->describe(r.error));
      return;
    }
    consume(static_cast<std::uint32_t>(r.bytes / 256));
    execute(client_.on_bytes(std::span<const std::uint8_t>(buffer.data(), r.bytes), now_ms()));
    if (stream_ == nullptr || should_yield()) {
      break;
    }
    if (r.bytes < buffer.size() && stream_->drained_by_short_read()) {
      stream_->want_read(true);  // a short read emptied the kernel's buffer
      return;
    }
  }
  if (stream_ != nullptr && !read_more_sent_) {
    read_more_sent_ = true;
    send(self(), sched::make_message<ReadMore>());  // more may wait: after the others' turn
  }
}

void BridgeLink::write(std::vector<std::uint8_t> bytes) {
  if (stream_ == nullptr) {
    return;
  }
  if (unsent() == 0) {
    out_ = std::move(bytes);
    out_pos_ = 0;
  } else {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
}

void BridgeLink::flush() {
  store_.flush();  // the records of what goes out are submitted first
  while (stream_ != nullptr && unsent() != 0) {
    iovec v{out_.data() + out_pos_, unsent()};
    net::IoResult r = stream_->writev(&v, 1);
    if (r.status == net::IoResult::Status::would_block) {
      stream_->want_write(true);
      return;
    }
    if (r.status != net::IoResult::Status::ok) {
      lost(r.status == net::IoResult::Status::closed ? "closed by the remote" : "write: " + stream_->describe(r.error));
      return;
    }
    out_pos_ += r.bytes;
  }
  if (stream_ != nullptr) {
    (void)stream_->flush();  // TLS records not yet on the socket; write interest is armed if some are left
  }
  if (unsent() == 0) {
    out_.clear();
    out_pos_ = 0;
  }
}

void BridgeLink::close_socket() {
  if (stream_ != nullptr) {
    stream_->close();  // and the socket under it
    stream_ = nullptr;
    socket_ = nullptr;
  }
  out_.clear();
  out_pos_ = 0;
}

}  // namespace actormq::bridge
