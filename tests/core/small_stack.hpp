#pragma once
// Runs a test body on a thread with a small stack, so that code which
// recurses once per topic level overflows it for sure (a 65536-level walk
// takes megabytes that way), whatever the build's frame sizes or the main
// thread's stack limit. The code under test must not recurse per level.

#include <pthread.h>

#include <cstddef>
#include <exception>
#include <functional>
#include <stdexcept>
#include <utility>

namespace actormq::core::testing {

/// Stack of the thread run_on_small_stack() starts: room for ordinary
/// calls (and sanitizer frames), not for one frame per level of a deep topic.
inline constexpr std::size_t small_stack_bytes = std::size_t{256} << 10;

/// Runs `body` on a new thread with small_stack_bytes of stack and waits for
/// it; an exception it throws is rethrown here.
inline void run_on_small_stack(std::function<void()> body) {
  struct Job {
    std::function<void()> body;
    std::exception_ptr error;
  } job{std::move(body), nullptr};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, small_stack_bytes);
  pthread_t thread;
  int rc = pthread_create(
      &thread, &attr,
      [](void* arg) -> void* {
        auto* j = static_cast<Job*>(arg);
        try {
          j->body();
        } catch (...) {
          j->error = std::current_exception();
        }
        return nullptr;
      },
      &job);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    throw std::runtime_error("pthread_create failed");
  }
  pthread_join(thread, nullptr);
  if (job.error) {
    std::rethrow_exception(job.error);
  }
}

}  // namespace actormq::core::testing
