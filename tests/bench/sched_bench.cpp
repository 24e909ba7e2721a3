// Runtime benchmark: spawn rate and memory per idle process, message rates on
// one scheduler and across two, and Joe Armstrong's ring. Not a test: it
// measures and prints; scripts/bench_sched.sh compares it with BEAM.
//
// Usage: sched_bench [processes=1000000] [messages=20000000] [ring_size=10000] [hops=1000000]

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>

#include "sched/runtime.hpp"

using namespace actormq::sched;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

struct Idle : Process {
  void on_message(Message&) override {}
};

struct Batch {
  std::uint64_t count;
};
struct Token {
  std::uint64_t hops_left;
};

/// Counts messages; tells `done` when `expected` have arrived.
struct Sink : Process {
  Sink(std::uint64_t expected, std::atomic<bool>& done) : expected_(expected), done_(done) {}
  void on_message(Message&) override {
    if (++seen_ == expected_) {
      done_.store(true, std::memory_order_release);
    }
  }
  std::uint64_t expected_;
  std::uint64_t seen_ = 0;
  std::atomic<bool>& done_;
};

/// Sends `total` messages to `to`, 1000 per message it handles, re-queueing itself
/// so it yields like any other process.
struct Source : Process {
  Source(Pid to, std::uint64_t total) : to_(to), left_(total) {}
  void on_message(Message&) override {
    std::uint64_t n = std::min<std::uint64_t>(left_, 1000);
    for (std::uint64_t i = 0; i < n; ++i) {
      send<Batch>(to_, Batch{i});
    }
    consume(static_cast<std::uint32_t>(n));
    left_ -= n;
    if (left_ > 0) {
      send<Batch>(self(), Batch{0});
    }
  }
  Pid to_;
  std::uint64_t left_;
};

struct RingNode : Process {
  RingNode(std::atomic<bool>& done) : done_(done) {}
  void on_message(Message& m) override {
    auto* t = m.as<Token>();
    if (t->hops_left == 0) {
      done_.store(true, std::memory_order_release);
      return;
    }
    send<Token>(next_, Token{t->hops_left - 1});
  }
  Pid next_;
  std::atomic<bool>& done_;
};
struct SetNext {
  Pid next;
};
struct RingSetup : Process {
  void on_message(Message&) override {}
};

void wait_for(const std::atomic<bool>& flag) {
  while (!flag.load(std::memory_order_acquire)) {
    std::this_thread::yield();
  }
}

double message_rate(bool cross, std::uint64_t messages) {
  RuntimeConfig cfg;
  cfg.schedulers = 2;
  Runtime rt(cfg);
  std::atomic<bool> done{false};
  SpawnOptions sink_on{.scheduler = cross ? 1 : 0, .pinned = true};
  SpawnOptions source_on{.scheduler = 0, .pinned = true};
  Pid sink = rt.spawn(std::make_unique<Sink>(messages, done), sink_on);
  Pid source = rt.spawn(std::make_unique<Source>(sink, messages), source_on);
  auto t0 = Clock::now();
  rt.send<Batch>(source, Batch{0});
  wait_for(done);
  return static_cast<double>(messages) / seconds_since(t0);
}

double ring_rate(std::uint64_t size, std::uint64_t hops) {
  RuntimeConfig cfg;
  cfg.schedulers = 2;
  Runtime rt(cfg);
  std::atomic<bool> done{false};
  std::vector<RingNode*> nodes;
  std::vector<Pid> pids;
  SpawnOptions on0{.scheduler = 0};
  for (std::uint64_t i = 0; i < size; ++i) {
    auto node = std::make_unique<RingNode>(done);
    nodes.push_back(node.get());
    pids.push_back(rt.spawn(std::move(node), on0));
  }
  // Wire the ring before any message flows: nothing runs these processes yet.
  for (std::uint64_t i = 0; i < size; ++i) {
    nodes[i]->next_ = pids[(i + 1) % size];
  }
  auto t0 = Clock::now();
  rt.send<Token>(pids[0], Token{hops});
  wait_for(done);
  return static_cast<double>(hops) / seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t processes = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  std::uint64_t messages = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20000000;
  std::uint64_t ring_size = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 10000;
  std::uint64_t hops = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1000000;

  double spawn_per_s = 0;
  double bytes_per_process = 0;
  {
    RuntimeConfig cfg;
    cfg.schedulers = 2;
    Runtime rt(cfg);
    long before = resident_bytes();
    auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < processes; ++i) {
      rt.spawn(std::make_unique<Idle>());
    }
    spawn_per_s = static_cast<double>(processes) / seconds_since(t0);
    bytes_per_process = static_cast<double>(resident_bytes() - before) / static_cast<double>(processes);
    auto t1 = Clock::now();
    rt.shutdown(60000);
    std::printf("spawn: %llu idle processes, %.0f spawns/s, %.1f bytes each, torn down in %.3f s\n",
                static_cast<unsigned long long>(processes), spawn_per_s, bytes_per_process,
                seconds_since(t1));
  }
  double local = message_rate(false, messages);
  std::printf("local: %.0f msgs/s between two processes on one scheduler\n", local);
  double cross = message_rate(true, messages);
  std::printf("cross: %.0f msgs/s between two processes on two schedulers\n", cross);
  double ring = ring_rate(ring_size, hops);
  std::printf("ring: %llu processes, %llu hops, %.0f hops/s\n",
              static_cast<unsigned long long>(ring_size), static_cast<unsigned long long>(hops), ring);
  std::printf("RESULT spawn_per_s=%.0f bytes_per_idle_process=%.0f local_msgs_per_s=%.0f "
              "cross_msgs_per_s=%.0f ring_hops_per_s=%.0f\n",
              spawn_per_s, bytes_per_process, local, cross, ring);
  return 0;
}
