#pragma once
// A single-threaded edge-triggered epoll loop. Writes are batched: a connection that
// queues output marks itself dirty and is flushed once per loop turn with one write.

#include <cstdint>
#include <span>
#include <vector>

namespace mqttbench {

/// Anything registered with the loop.
class Pollable {
public:
    virtual void on_events(uint32_t events) = 0;
    /// Called once per loop turn for pollables that asked for it via Loop::mark_dirty.
    virtual void flush() {}

protected:
    ~Pollable() = default;
};

class Loop {
public:
    Loop();
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    [[nodiscard]] bool ok() const { return ep_ >= 0; }

    /// Registers fd edge-triggered for input, output and hang-up.
    [[nodiscard]] bool watch(int fd, Pollable* p);

    /// Queues p for one flush() at the end of this loop turn.
    void mark_dirty(Pollable* p) { dirty_.push_back(p); }

    /// Waits up to timeout_ms, dispatches events, then flushes dirty pollables.
    void run_once(int timeout_ms);

    /// CLOCK_MONOTONIC ns as of the last wake-up.
    [[nodiscard]] uint64_t now() const { return now_; }

    /// One read buffer shared by every connection on this loop.
    [[nodiscard]] std::span<uint8_t> read_buffer() { return read_buf_; }

private:
    int ep_ = -1;
    uint64_t now_ = 0;
    std::vector<Pollable*> dirty_;
    std::vector<Pollable*> flushing_;
    std::vector<uint8_t> read_buf_;
};

}  // namespace mqttbench
