#include "sched/scheduler.hpp"

#include <bit>

#include "sched/process.hpp"
#include "sched/runtime.hpp"

namespace actormq::sched {

namespace {
thread_local Scheduler* tl_current = nullptr;

// Restores the calling thread's current scheduler when a stepped run ends.
class CurrentGuard {
 public:
  explicit CurrentGuard(Scheduler* s) : saved_(tl_current) { tl_current = s; }
  ~CurrentGuard() { tl_current = saved_; }
  CurrentGuard(const CurrentGuard&) = delete;
  CurrentGuard& operator=(const CurrentGuard&) = delete;

 private:
  Scheduler* saved_;
};
}  // namespace

Scheduler::Scheduler(Runtime& runtime, unsigned id) : runtime_(runtime), id_(id), timers_(0) {
  uv_loop_init(&loop_);
  loop_.data = this;
  uv_async_init(&loop_, &async_, &Scheduler::on_async);
  async_.data = this;
  uv_idle_init(&loop_, &idle_);
  idle_.data = this;
  uv_timer_init(&loop_, &timer_);
  timer_.data = this;
  timers_.advance(uv_now(&loop_), [](Pid, MessagePtr) {});
}

Scheduler::~Scheduler() {
  stop();
  join();
}

Scheduler* Scheduler::current() { return tl_current; }

void Scheduler::schedule(Process* p) {
  if (tl_current == this) {
    push_local(p);
    if (!in_slice_) {
      uv_idle_start(&idle_, &Scheduler::on_idle);
    }
    return;
  }
  Process* head = remote_.load(std::memory_order_relaxed);
  do {
    p->run_next_ = head;
  } while (!remote_.compare_exchange_weak(head, p, std::memory_order_release,
                                          std::memory_order_relaxed));
  // libuv coalesces: while a wake-up is pending this is one atomic, no syscall.
  uv_async_send(&async_);
}

void Scheduler::push_local(Process* p) {
  p->run_next_ = nullptr;
  RunQueue& q = p->high_priority_ ? high_ : normal_;
  if (q.tail == nullptr) {
    q.head = p;
  } else {
    q.tail->run_next_ = p;
  }
  q.tail = p;
  ++local_len_;
}

Process* Scheduler::pop_local() {
  RunQueue& q = high_.head != nullptr ? high_ : normal_;
  Process* p = q.head;
  if (p == nullptr) {
    return nullptr;
  }
  q.head = p->run_next_;
  if (q.head == nullptr) {
    q.tail = nullptr;
  }
  p->run_next_ = nullptr;
  --local_len_;
  return p;
}

void Scheduler::drain_remote() {
  if (remote_.load(std::memory_order_relaxed) == nullptr) {
    return;
  }
  Process* stack = remote_.exchange(nullptr, std::memory_order_acquire);
  Process* fifo = nullptr;
  while (stack != nullptr) {
    Process* next = stack->run_next_;
    stack->run_next_ = fifo;
    fifo = stack;
    stack = next;
  }
  while (fifo != nullptr) {
    Process* next = fifo->run_next_;
    push_local(fifo);
    fifo = next;
  }
}

void Scheduler::on_async(uv_async_t* handle) {
  auto* self = static_cast<Scheduler*>(handle->data);
  self->drain_remote();
  if (self->stopping_.load(std::memory_order_acquire)) {
    uv_walk(
        &self->loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) {
            uv_close(h, nullptr);
          }
        },
        nullptr);
    return;
  }
  if (self->local_len_ > 0) {
    uv_idle_start(&self->idle_, &Scheduler::on_idle);
  }
}

void Scheduler::on_idle(uv_idle_t* handle) { static_cast<Scheduler*>(handle->data)->run_slice(); }

void Scheduler::on_timer(uv_timer_t* handle) {
  auto* self = static_cast<Scheduler*>(handle->data);
  self->timer_armed_for_ = UINT64_MAX;
  self->fire_timers();
}

void Scheduler::run_slice() {
  in_slice_ = true;
  drain_remote();
  const std::uint64_t deadline = uv_hrtime() + runtime_.config().slice_quota_us * 1000;
  std::uint64_t runs = 0;
  for (;;) {
    Process* p = pop_local();
    if (p == nullptr) {
      if (!release_deferred()) {
        break;
      }
      continue;
    }
    run_process(p);
    // Reading the clock costs more than a short run: look every 16 runs, and
    // take in what other schedulers woke meanwhile, so a cross-scheduler send
    // waits for 16 runs at most, not for the slice to end.
    if ((++runs & 15) == 0) {
      if (uv_hrtime() > deadline) {
        break;
      }
      drain_remote();
    }
  }
  runs_.fetch_add(runs, std::memory_order_relaxed);
  release_deferred();  // the slice ran out: they go first in the next one
  after_slice();
  in_slice_ = false;
}

bool Scheduler::release_deferred() {
  if (deferred_.empty()) {
    return false;
  }
  for (Pid pid : deferred_) {
    runtime_.deliver(pid, make_message<Deferred>());  // only queues: nothing runs and defers meanwhile
  }
  deferred_.clear();
  return true;
}

void Scheduler::run_process(Process* p) {
  switch (p->run(runtime_.config().reduction_budget)) {
    case Process::Outcome::yielded:
      push_local(p);  // to the back: nobody waits more than one budget per runnable process
      break;
    case Process::Outcome::blocked:
      break;
    case Process::Outcome::ended:
      runtime_.reap(p);
      break;
    case Process::Outcome::suspended:
      if (!p->park()) {
        push_local(p);  // resumed already
      }
      break;
  }
}

void Scheduler::after_slice() {
  queue_len_.store(local_len_, std::memory_order_relaxed);
  if (local_len_ == 0) {
    uv_idle_stop(&idle_);
    runtime_.set_idle(id_, true);
    return;
  }
  runtime_.set_idle(id_, false);
  share_work();
  uv_idle_start(&idle_, &Scheduler::on_idle);
}

void Scheduler::share_work() {
  // Work sharing instead of stealing: only the owner touches its run queue, and
  // it hands half of its movable processes to one idle scheduler.
  if (local_len_ < 2) {
    return;
  }
  Scheduler* idle = runtime_.claim_idle(id_);
  if (idle == nullptr) {
    return;
  }
  const std::uint32_t half = local_len_ / 2;
  std::uint32_t to_move = half;
  std::uint32_t n = local_len_;
  for (std::uint32_t i = 0; i < n; ++i) {
    Process* p = pop_local();
    if (to_move > 0 && !p->pinned_) {
      p->home_.store(idle, std::memory_order_relaxed);
      runtime_.table().set_home(p->self(), idle->id());
      idle->schedule(p);
      stolen_.fetch_add(1, std::memory_order_relaxed);
      --to_move;
    } else {
      push_local(p);
    }
  }
  if (to_move == half) {
    runtime_.set_idle(idle->id(), true);  // everything here was pinned: give it back
  }
  queue_len_.store(local_len_, std::memory_order_relaxed);
}

TimerRef Scheduler::add_timer(Pid to, MessagePtr msg, std::uint64_t ms) {
  fire_timers();  // bring the wheel's clock to the loop's before filing
  TimerRef ref = timers_.add(to, std::move(msg), ms);
  arm_timer();
  return ref;
}

bool Scheduler::cancel_timer(TimerRef ref) { return timers_.cancel(ref); }

void Scheduler::fire_timers() {
  timers_.advance(uv_now(&loop_),
                  [this](Pid to, MessagePtr msg) { runtime_.deliver(to, std::move(msg)); });
  arm_timer();
}

void Scheduler::arm_timer() {
  auto next = timers_.next_deadline();
  if (!next) {
    if (timer_armed_for_ != UINT64_MAX) {
      uv_timer_stop(&timer_);
      timer_armed_for_ = UINT64_MAX;
    }
    return;
  }
  if (*next == timer_armed_for_) {
    return;
  }
  std::uint64_t now = uv_now(&loop_);
  uv_timer_start(&timer_, &Scheduler::on_timer, *next > now ? *next - now : 0, 0);
  timer_armed_for_ = *next;
}

void Scheduler::start() {
  thread_ = std::thread([this] {
    tl_current = this;
    uv_run(&loop_, UV_RUN_DEFAULT);
    tl_current = nullptr;
  });
}

void Scheduler::stop() {
  if (!stopping_.exchange(true, std::memory_order_acq_rel)) {
    uv_async_send(&async_);
  }
}

void Scheduler::join() {
  if (thread_.joinable()) {
    thread_.join();
  } else if (uv_loop_alive(&loop_) != 0) {
    CurrentGuard guard(this);
    uv_run(&loop_, UV_RUN_DEFAULT);  // stepped mode: let the handles close here
  }
  if (!loop_closed_) {
    uv_loop_close(&loop_);
    loop_closed_ = true;
    services_.clear();  // their handles are closed now
  }
}

std::uint64_t Scheduler::run_once() {
  CurrentGuard guard(this);
  std::uint64_t before = runs_.load(std::memory_order_relaxed);
  uv_run(&loop_, UV_RUN_NOWAIT);
  if (!in_slice_) {
    run_slice();
  }
  return runs_.load(std::memory_order_relaxed) - before;
}

std::uint64_t Scheduler::run_until_idle() {
  CurrentGuard guard(this);
  std::uint64_t before = runs_.load(std::memory_order_relaxed);
  for (;;) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    drain_remote();
    if (local_len_ == 0) {
      break;
    }
    run_slice();
  }
  return runs_.load(std::memory_order_relaxed) - before;
}

}  // namespace actormq::sched
