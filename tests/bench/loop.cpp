#include "tests/bench/loop.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include "tests/bench/sysstat.hpp"

namespace mqttbench {

namespace {
constexpr size_t read_buffer_size = 256 * 1024;
constexpr int max_events = 512;
}  // namespace

Loop::Loop() : ep_(epoll_create1(EPOLL_CLOEXEC)), now_(now_ns()), read_buf_(read_buffer_size) {}

Loop::~Loop() {
    if (ep_ >= 0) {
        ::close(ep_);
    }
}

bool Loop::watch(int fd, Pollable* p) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = p;
    return epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void Loop::run_once(int timeout_ms) {
    epoll_event events[max_events];
    int n = epoll_wait(ep_, events, max_events, dirty_.empty() ? timeout_ms : 0);
    now_ = now_ns();
    for (int i = 0; i < n; ++i) {
        static_cast<Pollable*>(events[i].data.ptr)->on_events(events[i].events);
    }
    // Flushing may queue more (an ack written in reply); those go out next turn.
    flushing_.swap(dirty_);
    for (Pollable* p : flushing_) {
        p->flush();
    }
    flushing_.clear();
}

}  // namespace mqttbench
