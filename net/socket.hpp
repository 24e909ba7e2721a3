#pragma once
// A non-blocking stream socket owned by one process on its home scheduler.
//
// The socket does no I/O by itself: readiness becomes a SocketReady message to
// the owning process, which then reads and writes from its own handler, so
// all socket work is charged to that process's reduction budget. An idle
// socket holds a poll handle and nothing else: no read or write buffer.

#include <sys/uio.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "sched/pid.hpp"

namespace actormq::sched {
class Runtime;
}

namespace actormq::net {

/// Sent to the owner when the socket is readable and/or writable. At most one
/// is outstanding per kind: interest in an event is dropped when it fires and
/// re-armed by the owner (want_read / want_write).
struct SocketReady {
  bool readable;
  bool writable;
};

/// What a read or write did.
struct IoResult {
  enum class Status : std::uint8_t { ok, would_block, closed, error };
  Status status;
  std::size_t bytes;  ///< with ok: bytes transferred (> 0)
  int error;          ///< with error: errno
};

/// Owner-only (the owning process, on the loop the socket was opened on).
class Socket {
 public:
  /// Takes ownership of a connected, non-blocking fd and starts watching it
  /// for readability. The socket frees itself after close().
  static Socket* adopt(uv_loop_t* loop, int fd, sched::Pid owner, sched::Runtime& runtime);

  /// One read(2) into `buffer`.
  IoResult read(std::span<std::uint8_t> buffer);
  /// One writev(2) of up to `count` segments.
  IoResult writev(const iovec* segments, int count);
  /// Arms (or disarms) a SocketReady for readability / writability.
  void want_read(bool on);
  void want_write(bool on);
  /// Stops watching, closes the fd once libuv has let go of it, frees this.
  void close();

  int fd() const { return fd_; }
  /// "address:port" of the peer, for logs.
  std::string peer() const;

 private:
  Socket(int fd, sched::Pid owner, sched::Runtime& runtime);
  ~Socket() = default;
  static void on_poll(uv_poll_t* handle, int status, int events);
  static void on_close(uv_handle_t* handle);
  void rearm();

  uv_poll_t poll_{};
  int fd_;
  sched::Pid owner_;
  sched::Runtime& runtime_;
  int wanted_ = 0;  // UV_READABLE | UV_WRITABLE the owner asked for
  bool closing_ = false;
};

}  // namespace actormq::net
