#pragma once
// WebSocket (RFC 6455) over a plain or TLS stream, server side: the HTTP/1.1
// upgrade (net/ws_upgrade.hpp), then binary frames through wslay's event API.
// The owner reads and writes the bytes the frames carry, split across frames
// anywhere; pings are answered, a close is answered and ends the stream, text
// frames and oversized frames close the connection. Only WebSocket
// connections have one.

#include <wslay/wslay.h>

#include <memory>
#include <string>
#include <vector>

#include "net/stream.hpp"
#include "net/transport.hpp"
#include "net/ws_upgrade.hpp"

namespace actormq::net {

/// Owner-only, like the stream under it.
class WsStream final : public Stream {
 public:
  /// Takes ownership of `inner`; `options` must outlive this stream.
  WsStream(Stream* inner, const WsOptions& options, const char* kind);

  IoResult read(std::span<std::uint8_t> buffer) override;
  IoResult writev(const iovec* segments, int count) override;
  IoResult flush() override;
  void want_read(bool on) override { inner_->want_read(on); }
  void want_write(bool on) override { inner_->want_write(on); }
  /// Sends a close frame if it can at once, then closes the stream under it.
  void close() override;
  std::string peer() const override { return inner_->peer(); }
  std::string peer_identity() const override { return inner_->peer_identity(); }
  std::string revoked() const override { return inner_->revoked(); }
  std::string summary() const override { return inner_->summary(); }
  bool established() const override { return ws_ != nullptr && inner_->established(); }
  std::string describe(int error) const override;
  const char* kind() const override { return kind_; }

 private:
  ~WsStream() override;
  /// The HTTP request, until its response is sent.
  struct Upgrade {
    std::string request;
    std::string response;
    std::size_t sent = 0;
  };
  IoResult read_upgrade(std::span<std::uint8_t> buffer);
  IoResult read_frames(std::span<std::uint8_t> buffer);
  IoResult fail(std::string reason);
  /// Sends the rest of the 101 response; ok once all of it is out.
  IoResult send_response();
  /// Sends queued frames; ok when none are left.
  IoResult send_frames();
  IoResult inner_failure() const;

  static ssize_t on_recv(wslay_event_context_ptr, std::uint8_t* data, std::size_t length, int, void* self);
  static ssize_t on_send(wslay_event_context_ptr, const std::uint8_t* data, std::size_t length, int, void* self);
  static void on_frame_start(wslay_event_context_ptr, const wslay_event_on_frame_recv_start_arg* arg, void* self);
  static void on_frame_chunk(wslay_event_context_ptr, const wslay_event_on_frame_recv_chunk_arg* arg, void* self);

  Stream* inner_;
  const WsOptions& options_;
  const char* kind_;
  std::unique_ptr<Upgrade> upgrade_ = std::make_unique<Upgrade>();
  wslay_event_context_ptr ws_ = nullptr;
  std::vector<std::uint8_t> early_;    // bytes that followed the HTTP request, not yet framed
  std::vector<std::uint8_t> spill_;    // payload that did not fit the owner's buffer
  std::size_t spill_at_ = 0;
  std::span<std::uint8_t> out_;        // during read: the owner's buffer
  std::size_t out_len_ = 0;
  std::string error_;                  // why the WebSocket layer failed
  IoResult inner_result_{IoResult::Status::ok, 0, 0};  // what the stream under us last said
  bool data_frame_ = false;            // the message being received is binary: MQTT bytes
  bool control_frame_ = false;         // the frame being received is a ping, pong or close
};

/// Wraps accepted sockets in WebSocket, over TLS when `tls` is given (wss).
class WsTransport final : public Transport {
 public:
  WsTransport(WsOptions options, std::shared_ptr<const Transport> tls)
      : options_(std::move(options)), tls_(std::move(tls)) {}
  [[nodiscard]] Stream* wrap(Socket* socket) const override;

 private:
  WsOptions options_;
  std::shared_ptr<const Transport> tls_;
};

}  // namespace actormq::net
