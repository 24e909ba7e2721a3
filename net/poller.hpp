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

 private:
  static void on_ready(uv_poll_t* handle, int status, int events);
  void dispatch();
  /// Makes the epoll set on first need; false (errno set) while it cannot
  /// be made, e.g. with every descriptor in use: that socket fails, not the
  /// scheduler, and a later socket tries again.
  bool open();

  uv_loop_t* loop_;
  int epfd_ = -1;
  uv_poll_t handle_{};
};

}  // namespace actormq::net
