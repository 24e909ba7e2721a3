#pragma once
// One epoll set per scheduler, watched by a single uv_poll handle on its loop.
//
// Sockets register here instead of each holding a uv_poll_t (160 bytes) and
// a slot in libuv's per-fd watcher table: an idle connection then costs the
// loop nothing but the kernel's epoll entry. Sockets register once,
// edge-triggered for both directions, and track readiness themselves
// (net/socket.hpp): no epoll_ctl per wake-up.

#include <sys/epoll.h>
#include <uv.h>

#include <cstdint>

#include "sched/scheduler.hpp"

namespace actormq::net {

class Socket;

/// Owner-only: used on its scheduler's thread.
class Poller : public sched::Scheduler::Service {
 public:
  explicit Poller(uv_loop_t* loop);
  ~Poller() override;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  /// The poller of the scheduler that owns `loop`, made on first use.
  static Poller& of(uv_loop_t* loop);

  /// Watches `fd` for `events` (EPOLLIN/EPOLLOUT). Returns 0 or -errno.
  int add(int fd, std::uint32_t events, Socket* socket);
  /// Stops watching `fd` (before it is closed).
  void remove(int fd);

  /// This poller's place in the table of live pollers: a socket keeps it,
  /// two bytes, instead of a pointer to its poller and one to its runtime
  /// (a socket is a malloc chunk per connection).
  [[nodiscard]] std::uint16_t index() const { return index_; }
  /// The live poller at `index`, or nullptr once it is gone.
  static Poller* at(std::uint16_t index);
  /// The runtime of the scheduler it serves.
  [[nodiscard]] sched::Runtime& runtime() const;

 private:
  static void on_ready(uv_poll_t* handle, int status, int events);
  void dispatch();
  /// Makes the epoll set on first need; false (errno set) while it cannot
  /// be made, e.g. with every descriptor in use: that socket fails, not the
  /// scheduler, and a later socket tries again.
  bool open();

  uv_loop_t* loop_;
  int epfd_ = -1;
  std::uint16_t index_;
  uv_poll_t handle_{};
};

}  // namespace actormq::net
