// Node-link benchmark: two OS processes, each a node of one scheduler, linked
// over loopback (bridge/dist). The same workloads as tests/bench/beam/
// beam_dist.erl, so that scripts/bench_dist.sh can put the figures side by
// side with two BEAM nodes:
//  - remote messages: a process on the sending node sends Blobs with a
//    64-byte body to a process on the receiving node as fast as it can for
//    --seconds; the receiver acks every 1,000 and at most 10 batches are
//    unacknowledged; the figure is messages acknowledged per second over
//    the measured window (after a warm-up);
//  - round trip: ping-pong of one such message, --roundtrips times.
//
//   dist_bench receive                 prints "READY <port> <pid bits>", runs until the sender is done
//   dist_bench send --port P --to BITS prints the RESULT line
// Not a test: it measures and prints.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bridge/dist/node.hpp"
#include "bridge/dist/runtime_proto_v1.hpp"
#include "sched/runtime.hpp"

using namespace actormq;
using dist::Blob;
using Clock = std::chrono::steady_clock;

namespace {

// Tags: the top two bits say what a Blob is.
constexpr std::uint64_t kind_shift = 62;
constexpr std::uint64_t data = 0, hello = 1, ack = 2, ping = 3;
std::uint64_t tag(std::uint64_t kind, std::uint64_t n = 0) { return (kind << kind_shift) | n; }
std::uint64_t kind_of(std::uint64_t t) { return t >> kind_shift; }
constexpr std::uint64_t batch = 1000;
constexpr std::uint64_t window = 10;
const std::string cookie = "dist-bench";

const dist::Registry& registry() {
  static const dist::Registry r = [] {
    dist::Registry reg;
    dist::add_runtime_types_v1(reg);
    return reg;
  }();
  return r;
}

sched::RuntimeConfig runtime_config(std::uint16_t node) {
  sched::RuntimeConfig c;
  c.schedulers = 1;  // one core per node, as `erl +S 1:1`
  c.node = node;
  return c;
}

dist::NodeConfig node_config(std::uint16_t id, std::string name) {
  dist::NodeConfig c;
  c.self = dist::NodeInfo{std::move(name), id, 0};
  c.cookie = cookie;
  return c;
}

/// Acks every batch of data, echoes pings, ends on a hello with tag 0 body.
class Receiver : public sched::Process {
 public:
  explicit Receiver(std::atomic<bool>& done) : done_(done) {}

 protected:
  void on_message(sched::Message& m) override {
    auto* b = m.as<Blob>();
    if (b == nullptr) {
      return;
    }
    switch (kind_of(b->tag)) {
      case data:
        if (++count_ % batch == 0) {
          send<Blob>(sender_, Blob{tag(ack), {}});
        }
        break;
      case hello:
        if (b->body.size() == sizeof(std::uint64_t)) {
          std::uint64_t bits = 0;
          std::memcpy(&bits, b->body.data(), sizeof bits);
          sender_ = sched::Pid::from_bits(bits);
        } else {
          done_.store(true, std::memory_order_release);  // goodbye
        }
        break;
      case ping:
        send<Blob>(sender_, Blob{b->tag, std::move(b->body)});
        break;
      default:
        break;
    }
  }

 private:
  std::atomic<bool>& done_;
  sched::Pid sender_;
  std::uint64_t count_ = 0;
};

struct Figures {
  double msgs_per_s = 0;
  std::vector<double> rtt_us;
};

/// Runs both workloads against `to`, then says goodbye and fulfils `out`.
class Sender : public sched::Process {
 public:
  Sender(sched::Pid to, double seconds, std::uint64_t roundtrips, std::size_t payload, std::promise<Figures> out)
      : to_(to), seconds_(seconds), roundtrips_(roundtrips),
        body_(mqtt::SharedBytes::copy_of(std::string(payload, 'x'))), out_(std::move(out)) {}

 protected:
  void on_start() override {
    std::uint64_t bits = self().bits();
    send<Blob>(to_, Blob{tag(hello), mqtt::SharedBytes::copy_of(std::string_view(reinterpret_cast<const char*>(&bits), sizeof bits))});
    start_ = Clock::now();
    warm_end_ = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(std::min(0.5, seconds_ / 4)));
    end_ = warm_end_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds_));
    while (unacked_ < window) {
      send_batch();
    }
  }

  void on_message(sched::Message& m) override {
    auto* b = m.as<Blob>();
    if (b == nullptr) {
      return;
    }
    if (kind_of(b->tag) == ack) {
      on_ack();
    } else if (kind_of(b->tag) == ping) {
      on_pong();
    }
  }

 private:
  void send_batch() {
    // A body of its own per message, so that each crosses the link as BEAM's
    // binaries do (one body shared by a frame's messages would cross once).
    for (std::uint64_t i = 0; i < batch; ++i) {
      send<Blob>(to_, Blob{tag(data, sent_++), mqtt::SharedBytes::copy_of(body_.view())});
    }
    ++unacked_;
  }

  void on_ack() {
    --unacked_;
    acked_ += batch;
    Clock::time_point now = Clock::now();
    if (!measuring_ && now >= warm_end_) {
      measuring_ = true;
      window_start_ = now;
      acked_at_start_ = acked_;
    }
    if (now < end_) {
      send_batch();
      return;
    }
    if (measuring_ && !measured_) {
      measured_ = true;
      figures_.msgs_per_s = static_cast<double>(acked_ - acked_at_start_) /
                            std::chrono::duration<double>(now - window_start_).count();
    }
    if (unacked_ == 0) {
      next_ping();  // the link is quiet: the round trips start
    }
  }

  void next_ping() {
    if (pings_ == roundtrips_ + warm_pings) {
      send<Blob>(to_, Blob{tag(hello), {}});
      out_.set_value(std::move(figures_));
      exit(sched::ExitReason::normal());
      return;
    }
    ping_sent_ = Clock::now();
    send<Blob>(to_, Blob{tag(ping, pings_++), body_});
  }

  void on_pong() {
    double us = std::chrono::duration<double, std::micro>(Clock::now() - ping_sent_).count();
    if (pings_ > warm_pings) {
      figures_.rtt_us.push_back(us);
    }
    next_ping();
  }

  static constexpr std::uint64_t warm_pings = 200;
  sched::Pid to_;
  double seconds_;
  std::uint64_t roundtrips_;
  mqtt::SharedBytes body_;
  std::promise<Figures> out_;
  Figures figures_;
  Clock::time_point start_, warm_end_, end_, window_start_, ping_sent_;
  std::uint64_t sent_ = 0, acked_ = 0, acked_at_start_ = 0, unacked_ = 0, pings_ = 0;
  bool measuring_ = false, measured_ = false;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];  // nearest rank
}

int receive(std::uint16_t port, double max_seconds) {
  sched::Runtime rt(runtime_config(2));
  dist::NodeConfig c = node_config(2, "bench-receiver");
  c.port = port;
  dist::Node node(rt, registry(), c);
  auto started = node.start();
  if (!started) {
    std::fprintf(stderr, "%s\n", started.error().text().c_str());
    return 1;
  }
  std::atomic<bool> done{false};
  sched::Pid receiver = rt.spawn(std::make_unique<Receiver>(done));
  std::printf("READY %u %llu\n", static_cast<unsigned>(*started), static_cast<unsigned long long>(receiver.bits()));
  std::fflush(stdout);
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(max_seconds));
  while (!done.load(std::memory_order_acquire) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  node.stop();
  rt.shutdown();
  return done.load() ? 0 : 1;
}

int send_to(std::uint16_t port, std::uint64_t to_bits, double seconds, std::uint64_t roundtrips, std::size_t payload) {
  sched::Runtime rt(runtime_config(1));
  dist::NodeConfig c = node_config(1, "bench-sender");
  c.seeds.push_back(dist::Endpoint{"127.0.0.1", port});
  dist::Node node(rt, registry(), c);
  auto started = node.start();
  if (!started) {
    std::fprintf(stderr, "%s\n", started.error().text().c_str());
    return 1;
  }
  sched::Pid to = sched::Pid::from_bits(to_bits);
  auto link_deadline = Clock::now() + std::chrono::seconds(10);
  while (!node.linked(to.node())) {
    if (Clock::now() > link_deadline) {
      std::fprintf(stderr, "no link to node %u within 10 s\n", static_cast<unsigned>(to.node()));
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::promise<Figures> promise;
  auto result = promise.get_future();
  sched::SpawnOptions o;
  o.start = true;
  rt.spawn(std::make_unique<Sender>(to, seconds, roundtrips, payload, std::move(promise)), o);
  if (result.wait_for(std::chrono::duration<double>(seconds * 4 + 60)) != std::future_status::ready) {
    std::fprintf(stderr, "the benchmark did not finish\n");
    return 1;
  }
  Figures f = result.get();
  dist::NodeStats s = node.stats();
  std::printf("remote messages: %.0f/s (frames out %llu for %llu messages); round trip p50 %.1f us, p90 %.1f us, p99 %.1f us over %zu\n",
              f.msgs_per_s, static_cast<unsigned long long>(s.frames_out),
              static_cast<unsigned long long>(s.messages_out), percentile(f.rtt_us, 50), percentile(f.rtt_us, 90),
              percentile(f.rtt_us, 99), f.rtt_us.size());
  std::printf("RESULT remote_msgs_per_s=%.0f remote_rtt_p50_us=%.0f remote_rtt_p90_us=%.0f remote_rtt_p99_us=%.0f\n",
              f.msgs_per_s, percentile(f.rtt_us, 50), percentile(f.rtt_us, 90), percentile(f.rtt_us, 99));
  // Give the goodbye time to cross before the link closes.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  node.stop();
  rt.shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"node-link benchmark (two processes on loopback)"};
  app.require_subcommand(1);
  std::uint16_t port = 0;
  double max_seconds = 120;
  auto* recv = app.add_subcommand("receive", "the receiving node: prints READY <port> <pid bits>");
  recv->add_option("--port", port, "port to listen on (0: any)");
  recv->add_option("--max-seconds", max_seconds, "give up after this long");
  std::uint64_t to = 0;
  double seconds = 3;
  std::uint64_t roundtrips = 20000;
  std::size_t payload = 64;
  auto* snd = app.add_subcommand("send", "the sending node: runs both workloads, prints RESULT");
  snd->add_option("--port", port, "the receiving node's port")->required();
  snd->add_option("--to", to, "the receiving process's pid bits")->required();
  snd->add_option("--seconds", seconds, "remote messages: measured window")->check(CLI::Range(0.1, 60.0));
  snd->add_option("--roundtrips", roundtrips, "round trips timed")->check(CLI::Range(1, 1000000));
  snd->add_option("--payload", payload, "bytes per message")->check(CLI::Range(0, 65536));
  CLI11_PARSE(app, argc, argv);
  if (recv->parsed()) {
    return receive(port, max_seconds);
  }
  return send_to(port, to, seconds, roundtrips, payload);
}
