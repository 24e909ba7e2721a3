#pragma once
// A listening TCP socket on one scheduler's loop. Each scheduler opens its own
// socket on the same address with SO_REUSEPORT, so the kernel spreads new
// connections over the schedulers and no accepted socket changes loops.
// SO_REUSEPORT would also let another process join the group unnoticed, so a
// broker checks first that nobody holds the port (check_free).

#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace actormq::net {

/// Owner-only (the scheduler thread whose loop it was opened on).
class TcpListener {
 public:
  /// Called with each accepted, non-blocking, TCP_NODELAY socket; the callee owns it.
  using OnAccept = std::function<void(int fd)>;

  struct Opened {
    TcpListener* listener = nullptr;  ///< nullptr on failure
    std::string error;                ///< why, naming the address
  };

  /// Binds and listens on bind:port (port 0: an ephemeral port). Returns the
  /// listener, which frees itself after close().
  [[nodiscard]] static Opened open(uv_loop_t* loop, const std::string& bind, std::uint16_t port,
                                   OnAccept on_accept);
  /// Takes `fd`, a socket already bound and listening (handed over by the
  /// process before an upgrade), and accepts on it; on failure `fd` is closed.
  [[nodiscard]] static Opened adopt(uv_loop_t* loop, int fd, OnAccept on_accept);

  /// Why bind:port is taken by another socket (e.g. another broker: the
  /// listeners' SO_REUSEPORT would otherwise share the port with it), or
  /// nullopt if it is free. Port 0 is always free.
  [[nodiscard]] static std::optional<std::string> check_free(const std::string& bind, std::uint16_t port);

  /// The bound port (useful after binding port 0).
  std::uint16_t port() const { return port_; }
  /// The listening socket, for an upgrade to hand over (a dup of it).
  int fd() const { return fd_; }
  /// Stops accepting; the socket is closed and this freed asynchronously.
  void close();
  /// Stops or resumes accepting (e.g. at the connection limit).
  void pause(bool paused);

 private:
  TcpListener(int fd, std::uint16_t port, OnAccept on_accept);
  ~TcpListener() = default;
  static void on_poll(uv_poll_t* handle, int status, int events);
  static void on_resume(uv_timer_t* handle);
  static void on_close(uv_handle_t* handle);

  uv_poll_t poll_{};
  uv_timer_t backoff_{};  // out of descriptors: stop accepting for a moment
  int open_handles_ = 2;
  int fd_;
  std::uint16_t port_;
  OnAccept on_accept_;
  bool closing_ = false;
  bool paused_ = false;
};

}  // namespace actormq::net
