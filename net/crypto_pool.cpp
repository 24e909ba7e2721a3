#include "net/crypto_pool.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace actormq::net {

namespace {
// Below the schedulers: when both want a core, an established session's
// message goes before a handshake's next step (Linux: a thread's own nice).
constexpr int worker_nice = 10;
}  // namespace

CryptoPool::CryptoPool(unsigned threads) {
  if (threads == 0) {
    threads = std::max(1u, std::thread::hardware_concurrency());
  }
  workers_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) {
    workers_.emplace_back([this] { work(); });
  }
}

CryptoPool::~CryptoPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& t : workers_) {
    t.join();
  }
}

void CryptoPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
}

std::uint64_t CryptoPool::completed() const {
  std::lock_guard lock(mutex_);
  return completed_;
}

std::size_t CryptoPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void CryptoPool::work() {
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), worker_nice);  // best effort
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      return;  // stopping, and nothing left: a queued job owns a stream that waits for it
    }
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    job();
    job = nullptr;
    lock.lock();
    ++completed_;
  }
}

}  // namespace actormq::net
