#pragma once
// One end of the hand-over socket pair (handover.hpp): a SOCK_SEQPACKET
// Unix socket, so that each message arrives whole and alone, with the
// descriptor attached to it and no other.

#include <chrono>
#include <cstdint>
#include <utility>

#include "core/result.hpp"
#include "core/upgrade/handover.hpp"

namespace actormq::core::upgrade {

/// Owner-only; owns its descriptor.
class ControlSocket {
 public:
  /// A connected pair, both ends close-on-exec.
  [[nodiscard]] static Result<std::pair<ControlSocket, ControlSocket>> pair();

  explicit ControlSocket(int fd) : fd_(fd) {}
  ~ControlSocket();
  ControlSocket(ControlSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ControlSocket& operator=(ControlSocket&& other) noexcept;
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  int fd() const { return fd_; }
  /// Gives the descriptor up (to a child process, by number).
  int release() { return std::exchange(fd_, -1); }

  /// Sends `message`, with `attached` (>= 0) passed as SCM_RIGHTS; the
  /// caller keeps its own copy of it.
  [[nodiscard]] Status send(const HandoverMessage& message, int attached = -1);

  struct Incoming {
    enum class Kind : std::uint8_t {
      message,  ///< `message`, and `fd` if one came with it
      closed,   ///< the other end is gone (the process exited)
      timeout,
      signal,   ///< `signal` arrived on the signal descriptor first
    };
    Kind kind = Kind::timeout;
    HandoverMessage message;
    int fd = -1;  ///< owned by the caller
    int signal = 0;
  };
  /// Waits until `deadline` for a message, or for a signal on `signal_fd`
  /// (a signalfd; -1: none). A message that does not parse fails.
  [[nodiscard]] Result<Incoming> receive(std::chrono::steady_clock::time_point deadline, int signal_fd);

 private:
  int fd_;
};

}  // namespace actormq::core::upgrade
