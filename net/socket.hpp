#pragma once
// A non-blocking stream socket owned by one process on its home scheduler.
//
// The socket does no I/O by itself: readiness becomes a SocketReady message to
// the owning process, which then reads and writes from its own handler, so
// all socket work is charged to that process's reduction budget. An idle
// socket is a few words and an entry in its scheduler's epoll set
// (net/poller.hpp): no poll handle, no read or write buffer.

#include <sys/uio.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "net/stream.hpp"
#include "sched/pid.hpp"

namespace actormq::sched {
class Runtime;
}

namespace actormq::net {

class Poller;

/// Sent to the owner when the socket is readable and/or writable. At most one
/// is outstanding per kind: interest in an event is dropped when it fires and
/// re-armed by the owner (want_read / want_write).
struct SocketReady {
  bool readable;
  bool writable;
};

/// Plain TCP, and the stream every other transport runs over. It adds only
/// the Stream vtable pointer to what a socket needs: a plain connection pays
/// nothing else for the other transports.
/// Owner-only (the owning process, on the loop the socket was opened on).
class Socket final : public Stream {
 public:
  /// Takes ownership of a connected, non-blocking fd and starts watching it
  /// for readability. The socket frees itself after close().
  static Socket* adopt(uv_loop_t* loop, int fd, sched::Pid owner, sched::Runtime& runtime);

  /// One read(2) into `buffer`.
  IoResult read(std::span<std::uint8_t> buffer) override;
  /// The kernel had no more than read(2) took; what arrives next is a new
  /// epoll edge.
  bool drained_by_short_read() const override { return true; }
  /// One writev(2) of up to `count` segments.
  IoResult writev(const iovec* segments, int count) override;
  /// Arms (or disarms) a SocketReady for readability / writability.
  void want_read(bool on) override;
  void want_write(bool on) override;
  /// Sends FIN after what was written, stops watching, closes the fd, frees
  /// this. Safe: a SocketReady already sent carries no pointer to the socket.
  void close() override;

  int fd() const { return fd_; }
  /// The process SocketReady goes to, and the runtime it lives in: another
  /// thread that does work for the owner wakes it the same way
  /// (net/tls_stream.hpp, handshakes run on a CryptoPool).
  sched::Pid owner() const { return owner_; }
  sched::Runtime& runtime() const { return runtime_; }
  /// "address:port" of the peer, for logs.
  std::string peer() const override;

  /// Poller-only: the epoll events that fired (edge-triggered).
  void on_events(std::uint32_t events);

 private:
  Socket(int fd, sched::Pid owner, sched::Runtime& runtime, Poller& poller);
  ~Socket() override = default;
  /// Sends the owner a SocketReady for what is both ready and wanted.
  void notify();

  Poller& poller_;
  sched::Runtime& runtime_;
  sched::Pid owner_;
  int fd_;
  std::uint8_t wanted_ = 0;  // read_bit | write_bit: a SocketReady is owed for these
  std::uint8_t ready_ = 0;   // an edge fired and no short read / EAGAIN has found the kernel empty/full since
  bool eof_ = false;         // FIN, hang-up or error seen: reads go on until they say so
  bool registered_ = false;  // in the scheduler's epoll set
};

}  // namespace actormq::net
