#include "net/ws_stream.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

namespace actormq::net {

namespace {
using Status = IoResult::Status;

// Error code of a failure in the WebSocket layer itself (errno values are
// positive and mbedTLS's negative but far above this).
constexpr int ws_failure = INT_MIN;
// Bytes the owner may hand over in one frame.
constexpr std::size_t max_frame_out = 64 * 1024;

std::span<std::uint8_t> frame_buffer() {
  thread_local std::array<std::uint8_t, max_frame_out> buffer;
  return buffer;
}

bool is_control(std::uint8_t opcode) { return (opcode & 0x8) != 0; }

}  // namespace

WsStream::WsStream(Stream* inner, const WsOptions& options, const char* kind)
    : inner_(inner), options_(options), kind_(kind) {}

WsStream::~WsStream() {
  if (ws_ != nullptr) {
    wslay_event_context_free(ws_);
  }
}

IoResult WsStream::fail(std::string reason) {
  error_ = std::move(reason);
  return {Status::error, 0, ws_failure};
}

IoResult WsStream::inner_failure() const {
  if (inner_result_.status == Status::error) {
    return inner_result_;
  }
  return {Status::closed, 0, 0};
}

std::string WsStream::describe(int error) const {
  return error == ws_failure ? "WebSocket: " + error_ : inner_->describe(error);
}

IoResult WsStream::read(std::span<std::uint8_t> buffer) {
  if (ws_ == nullptr) {
    return read_upgrade(buffer);
  }
  if (spill_at_ < spill_.size()) {
    std::size_t n = std::min(buffer.size(), spill_.size() - spill_at_);
    std::memcpy(buffer.data(), spill_.data() + spill_at_, n);
    spill_at_ += n;
    if (spill_at_ == spill_.size()) {
      spill_.clear();
      spill_at_ = 0;
    }
    return {Status::ok, n, 0};
  }
  return read_frames(buffer);
}

IoResult WsStream::read_upgrade(std::span<std::uint8_t> buffer) {
  IoResult r = inner_->read(buffer);
  if (r.status != Status::ok) {
    return r;  // a TLS handshake step, nothing yet, or the end
  }
  std::string& request = upgrade_->request;
  std::size_t searched = request.size() < 3 ? 0 : request.size() - 3;
  request.append(reinterpret_cast<const char*>(buffer.data()), r.bytes);
  std::size_t end = find_header_end(std::string_view(request).substr(searched));
  if (!plausible_request_line(request)) {
    // E.g. MQTT bytes sent to a WebSocket port: refused at once, not at the timeout.
    std::string refusal = http_error(400);
    iovec v{refusal.data(), refusal.size()};
    (void)inner_->writev(&v, 1);
    (void)inner_->flush();
    return fail("not an HTTP request (HTTP 400)");
  }
  if (end == std::string::npos) {
    if (request.size() > options_.max_header_bytes) {
      std::string refusal = http_error(431);
      iovec v{refusal.data(), refusal.size()};
      (void)inner_->writev(&v, 1);
      (void)inner_->flush();
      return fail("HTTP request headers larger than " + std::to_string(options_.max_header_bytes) +
                  " bytes (HTTP 431)");
    }
    return {Status::again, 0, 0};
  }
  end += searched;
  early_.assign(request.begin() + static_cast<std::ptrdiff_t>(end), request.end());
  request.resize(end);
  UpgradeResult answer = answer_upgrade(request, options_);
  if (answer.status != 101) {
    // Best effort: the refusal goes out now or not at all, the connection closes.
    iovec v{answer.response.data(), answer.response.size()};
    (void)inner_->writev(&v, 1);
    (void)inner_->flush();
    return fail(answer.reason + " (HTTP " + std::to_string(answer.status) + ")");
  }
  upgrade_->request = {};
  upgrade_->response = std::move(answer.response);
  static constexpr wslay_event_callbacks callbacks{&WsStream::on_recv, &WsStream::on_send, nullptr,
                                                   &WsStream::on_frame_start, &WsStream::on_frame_chunk,
                                                   nullptr, nullptr};
  if (wslay_event_context_server_init(&ws_, &callbacks, this) != 0) {
    ws_ = nullptr;
    return fail("out of memory");
  }
  // Frames are passed on as they arrive; a frame past the limit is refused
  // with close code 1009 (RFC 6455 7.4.1) instead of being buffered.
  wslay_event_config_set_no_buffering(ws_, 1);
  wslay_event_config_set_max_recv_msg_length(ws_, options_.max_frame_bytes);
  IoResult sent = send_response();
  if (sent.status == Status::closed || sent.status == Status::error) {
    return sent;
  }
  return {Status::again, 0, 0};
}

IoResult WsStream::send_response() {
  if (!upgrade_) {
    return {Status::ok, 0, 0};
  }
  Upgrade& u = *upgrade_;
  while (u.sent < u.response.size()) {
    iovec v{u.response.data() + u.sent, u.response.size() - u.sent};
    IoResult r = inner_->writev(&v, 1);
    if (r.status == Status::ok) {
      u.sent += r.bytes;
      continue;
    }
    if (r.status == Status::would_block || r.status == Status::again) {
      inner_->want_write(true);
      return {Status::would_block, 0, 0};
    }
    return r;
  }
  upgrade_.reset();
  return {Status::ok, 0, 0};
}

IoResult WsStream::read_frames(std::span<std::uint8_t> buffer) {
  out_ = buffer;
  out_len_ = 0;
  inner_result_ = {Status::ok, 0, 0};
  int rc = wslay_event_recv(ws_);
  out_ = {};
  if (wslay_event_want_write(ws_) != 0) {
    (void)send_frames();  // a pong or a close answered at once; the rest waits for writability
  }
  if (out_len_ > 0) {
    return {Status::ok, out_len_, 0};
  }
  if (rc != 0) {
    return inner_result_.status == Status::ok ? fail("receive failed (" + std::to_string(rc) + ")")
                                              : inner_failure();
  }
  if (!error_.empty()) {
    return {Status::error, 0, ws_failure};
  }
  if (wslay_event_get_close_received(ws_) != 0) {
    return {Status::closed, 0, 0};
  }
  if (wslay_event_get_read_enabled(ws_) == 0) {
    std::uint16_t code = wslay_event_get_status_code_sent(ws_);
    if (code == WSLAY_CODE_MESSAGE_TOO_BIG) {
      return fail("frame larger than " + std::to_string(options_.max_frame_bytes) + " bytes (close 1009)");
    }
    return fail("protocol error in a frame (close " + std::to_string(code) + ")");
  }
  if (inner_result_.status == Status::closed || inner_result_.status == Status::error) {
    return inner_failure();
  }
  return {Status::would_block, 0, 0};
}

IoResult WsStream::send_frames() {
  if (ws_ == nullptr || wslay_event_want_write(ws_) == 0) {
    return {Status::ok, 0, 0};
  }
  if (wslay_event_send(ws_) != 0) {
    return inner_result_.status == Status::ok ? fail("send failed") : inner_failure();
  }
  if (wslay_event_want_write(ws_) != 0) {
    inner_->want_write(true);
    return {Status::would_block, 0, 0};
  }
  return {Status::ok, 0, 0};
}

IoResult WsStream::flush() {
  if (ws_ == nullptr) {
    return inner_->flush();
  }
  if (IoResult r = send_response(); r.status != Status::ok) {
    return r;
  }
  if (IoResult r = send_frames(); r.status != Status::ok) {
    return r;
  }
  return inner_->flush();
}

IoResult WsStream::writev(const iovec* segments, int count) {
  if (ws_ == nullptr) {
    return {Status::would_block, 0, 0};  // nothing is sent before the upgrade
  }
  if (IoResult r = send_response(); r.status != Status::ok) {
    return r;
  }
  // One frame waits at most: the owner keeps the rest (and its back-pressure).
  if (IoResult r = send_frames(); r.status != Status::ok) {
    return r;
  }
  if (wslay_event_get_write_enabled(ws_) == 0) {
    return {Status::closed, 0, 0};
  }
  const std::uint8_t* data = nullptr;
  std::size_t length = 0;
  if (count == 1 || segments[0].iov_len >= max_frame_out) {
    data = static_cast<const std::uint8_t*>(segments[0].iov_base);
    length = std::min(segments[0].iov_len, max_frame_out);
  } else {
    std::span<std::uint8_t> gather = frame_buffer();
    for (int i = 0; i < count && length < gather.size(); ++i) {
      std::size_t n = std::min(segments[i].iov_len, gather.size() - length);
      std::memcpy(gather.data() + length, segments[i].iov_base, n);
      length += n;
    }
    data = gather.data();
  }
  wslay_event_msg msg{WSLAY_BINARY_FRAME, data, length};
  if (wslay_event_queue_msg(ws_, &msg) != 0) {
    return fail("cannot queue a frame");
  }
  IoResult r = send_frames();
  if (r.status == Status::closed || r.status == Status::error) {
    return r;
  }
  return {Status::ok, length, 0};
}

void WsStream::close() {
  if (ws_ != nullptr) {
    // RFC 6455 7.1.1: the server closes TCP first; the close frame goes before, if it can.
    if (wslay_event_get_close_sent(ws_) == 0) {
      wslay_event_queue_close(ws_, WSLAY_CODE_NORMAL_CLOSURE, nullptr, 0);
    }
    (void)wslay_event_send(ws_);
    (void)inner_->flush();
  }
  inner_->close();
  delete this;
}

ssize_t WsStream::on_recv(wslay_event_context_ptr ctx, std::uint8_t* data, std::size_t length, int, void* self) {
  auto* s = static_cast<WsStream*>(self);
  // Bounded work per read: stop once the owner's buffer is full.
  if (s->out_len_ >= s->out_.size() || s->spill_at_ < s->spill_.size()) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  if (!s->early_.empty()) {
    std::size_t n = std::min(length, s->early_.size());
    std::memcpy(data, s->early_.data(), n);
    s->early_.erase(s->early_.begin(), s->early_.begin() + static_cast<std::ptrdiff_t>(n));
    return static_cast<ssize_t>(n);
  }
  IoResult r = s->inner_->read({data, length});
  s->inner_result_ = r;
  if (r.status == Status::ok) {
    return static_cast<ssize_t>(r.bytes);
  }
  bool blocked = r.status == Status::would_block || r.status == Status::again;
  wslay_event_set_error(ctx, blocked ? WSLAY_ERR_WOULDBLOCK : WSLAY_ERR_CALLBACK_FAILURE);
  return -1;
}

ssize_t WsStream::on_send(wslay_event_context_ptr ctx, const std::uint8_t* data, std::size_t length, int,
                          void* self) {
  auto* s = static_cast<WsStream*>(self);
  iovec v{const_cast<std::uint8_t*>(data), length};
  IoResult r = s->inner_->writev(&v, 1);
  if (r.status == Status::ok) {
    return static_cast<ssize_t>(r.bytes);
  }
  if (r.status == Status::would_block || r.status == Status::again) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  s->inner_result_ = r;
  wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
  return -1;
}

void WsStream::on_frame_start(wslay_event_context_ptr ctx, const wslay_event_on_frame_recv_start_arg* arg,
                              void* self) {
  auto* s = static_cast<WsStream*>(self);
  s->control_frame_ = is_control(arg->opcode);
  if (s->control_frame_) {
    return;  // pings and closes are wslay's; they may come between fragments
  }
  if (arg->opcode == WSLAY_TEXT_FRAME) {
    // MQTT 6.0: control packets travel in binary frames; anything else closes.
    s->data_frame_ = false;
    s->error_ = "text frame received (MQTT needs binary frames)";
    wslay_event_queue_close(ctx, WSLAY_CODE_UNSUPPORTED_DATA, nullptr, 0);
    wslay_event_shutdown_read(ctx);
    return;
  }
  if (arg->opcode == WSLAY_BINARY_FRAME) {
    s->data_frame_ = true;
  }
}

void WsStream::on_frame_chunk(wslay_event_context_ptr, const wslay_event_on_frame_recv_chunk_arg* arg,
                              void* self) {
  auto* s = static_cast<WsStream*>(self);
  if (s->control_frame_ || !s->data_frame_) {
    return;
  }
  std::size_t room = s->out_.size() - s->out_len_;
  std::size_t n = std::min(room, arg->data_length);
  std::memcpy(s->out_.data() + s->out_len_, arg->data, n);
  s->out_len_ += n;
  s->spill_.insert(s->spill_.end(), arg->data + n, arg->data + arg->data_length);
}

Stream* WsTransport::wrap(Socket* socket) const {
  Stream* inner = tls_ ? tls_->wrap(socket) : socket;
  return new WsStream(inner, options_, tls_ ? "wss" : "ws");
}

}  // namespace actormq::net
