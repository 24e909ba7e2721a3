// WebSocket frames from a client (net/ws_stream.cpp, wslay underneath): a
// fixed valid upgrade request, then the input's bytes, arriving over a fake
// inner stream in the chunks fuzz_util.hpp's Chunks cuts. The owner reads
// into a buffer whose size the header picks, as the session does, until the
// stream ends or fails. Checked: no read hands over more than it was given
// room for, or more payload than the frames carried, and the stream ends.

#include <vector>

#include "fuzz_util.hpp"
#include "net/ws_stream.hpp"

using namespace actormq::net;
using Status = IoResult::Status;

namespace {

constexpr std::string_view upgrade =
    "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\n\r\n";

// The socket under the WebSocket layer: reads come from the fuzz input, a
// chunk at a time; writes are taken whole, or one byte at a time when the
// flags ask for short writes.
class FakeStream final : public Stream {
 public:
  FakeStream(actormq::fuzz::Chunks& chunks, bool short_writes) : chunks_(chunks), short_writes_(short_writes) {}
  ~FakeStream() override = default;

  IoResult read(std::span<std::uint8_t> buffer) override {
    if (pending_.empty()) {
      if (!upgrade_sent_) {
        upgrade_sent_ = true;
        pending_.assign(upgrade.begin(), upgrade.end());
      } else {
        auto chunk = chunks_.next();
        if (chunk.empty()) {
          return {Status::closed, 0, 0};
        }
        pending_.assign(chunk.begin(), chunk.end());
      }
    }
    std::size_t n = std::min(buffer.size(), pending_.size());
    std::copy_n(pending_.begin(), n, buffer.begin());
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    return {Status::ok, n, 0};
  }
  IoResult writev(const iovec* segments, int count) override {
    std::size_t n = 0;
    for (int i = 0; i < count; ++i) {
      n += segments[i].iov_len;
    }
    if (short_writes_ && n > 1) {
      n = 1;
    }
    written_ += n;
    return {Status::ok, n, 0};
  }
  void want_read(bool) override {}
  void want_write(bool) override {}
  void close() override { closed_ = true; }
  std::string peer() const override { return "fuzz"; }

  bool closed_ = false;

 private:
  actormq::fuzz::Chunks& chunks_;
  bool short_writes_;
  bool upgrade_sent_ = false;
  std::vector<std::uint8_t> pending_;
  std::size_t written_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  actormq::fuzz::Chunks chunks(data, size);
  constexpr std::size_t buffer_sizes[] = {4096, 1, 7, 200};
  std::vector<std::uint8_t> buffer(buffer_sizes[chunks.flags() & 3]);
  WsOptions options;
  options.subprotocols = {"mqtt"};
  options.max_frame_bytes = (chunks.flags() & 4) != 0 ? 16 : 1 << 20;
  FakeStream inner(chunks, (chunks.flags() & 8) != 0);
  auto* ws = new WsStream(&inner, options, "ws");
  std::size_t delivered = 0;
  bool ended = false;
  // Every round hands over a byte, takes one from the input or ends; the bound
  // keeps a stream that stopped making progress from hanging the target.
  for (std::size_t round = 0; round < 4 * (size + upgrade.size()) + 64 && !ended; ++round) {
    IoResult r = ws->read(buffer);
    if (r.status == Status::ok) {
      FUZZ_CHECK(r.bytes > 0 && r.bytes <= buffer.size());
      delivered += r.bytes;
      continue;
    }
    if (r.status == Status::again || r.status == Status::would_block) {
      continue;
    }
    if (r.status == Status::error) {
      FUZZ_CHECK(!ws->describe(r.error).empty());
    }
    ended = true;
  }
  FUZZ_CHECK(ended);
  // Payload comes out of frames at least 6 bytes long (header and mask).
  FUZZ_CHECK(delivered <= size);
  ws->close();
  FUZZ_CHECK(inner.closed_);
  return 0;
}
