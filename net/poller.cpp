#include "net/poller.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>

#include "net/socket.hpp"

namespace actormq::net {

namespace {
// epoll_wait rounds per wake-up: bounds one dispatch like libuv bounds its
// reads; what is left stays ready and is taken on the next loop iteration.
constexpr int max_rounds = 4;
constexpr int batch = 256;
}  // namespace

Poller::Poller(uv_loop_t* loop) : loop_(loop) { open(); }

Poller::~Poller() {
  if (epfd_ >= 0) {
    ::close(epfd_);
  }
}

bool Poller::open() {
  if (epfd_ >= 0) {
    return true;
  }
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    return false;
  }
  uv_poll_init(loop_, &handle_, epfd_);
  handle_.data = this;
  uv_poll_start(&handle_, UV_READABLE, &Poller::on_ready);
  return true;
}

Poller& Poller::of(uv_loop_t* loop) {
  auto* scheduler = static_cast<sched::Scheduler*>(loop->data);
  return scheduler->service<Poller>(loop);
}

int Poller::add(int fd, std::uint32_t events, Socket* socket) {
  if (!open()) {
    return -errno;
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = socket;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

void Poller::remove(int fd) {
  epoll_event ev{};  // Linux before 2.6.9 wanted a non-null event for DEL
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev);
}

void Poller::on_ready(uv_poll_t* handle, int status, int /*events*/) {
  if (status < 0) {
    return;  // an epoll fd does not fail; nothing to hand to anyone
  }
  static_cast<Poller*>(handle->data)->dispatch();
}

void Poller::dispatch() {
  // Nothing that runs here can close a socket: events only become messages
  // to their owners, so no pointer in a batch dangles.
  std::array<epoll_event, batch> events;
  for (int round = 0; round < max_rounds; ++round) {
    int n = epoll_wait(epfd_, events.data(), batch, 0);
    for (int i = 0; i < n; ++i) {
      static_cast<Socket*>(events[static_cast<std::size_t>(i)].data.ptr)
          ->on_events(events[static_cast<std::size_t>(i)].events);
    }
    if (n < batch) {
      return;
    }
  }
}

}  // namespace actormq::net
