// The evacuator: one process per evacuation, pacing it (evacuation.hpp).
// It walks the registry once to end the connections, waits for their
// clients to take their sessions to other nodes, then walks it again to
// move what is left, and again every few seconds until nothing is.
#include "core/evacuation.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "core/client_directory.hpp"
#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/session_registry.hpp"
#include "sched/process.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

std::string_view phase_name(EvacuationPhase phase) {
  switch (phase) {
    case EvacuationPhase::idle:
      return "idle";
    case EvacuationPhase::connections:
      return "connections";
    case EvacuationPhase::waiting:
      return "waiting";
    case EvacuationPhase::sessions:
      return "sessions";
    case EvacuationPhase::done:
      return "done";
  }
  return "idle";
}

namespace {

struct EvacuatorTick {};

constexpr std::uint64_t tick_ms = 20;
// A pass that found sessions it could not move looks again after this long
// (a peer may join; a move may have failed).
constexpr std::uint64_t retry_ms = 2000;
// A session that ended before it answered never will: the pass goes on.
constexpr std::uint64_t answer_wait_ms = 1000;

std::uint64_t steady_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

class Evacuator : public sched::Process {
 public:
  Evacuator(const SessionRegistry& registry, Evacuation& evacuation, EvacuationOrder order)
      : registry_(registry), evacuation_(evacuation), order_(std::move(order)),
        reference_(order_.server_reference.empty() ? nullptr
                                                   : std::make_shared<const std::string>(order_.server_reference)) {}

 protected:
  void on_start() override {
    last_ms_ = steady_ms();
    ACTORMQ_LOG_NOTICE("evacuation: " << registry_.size() << " session(s) here; ending connections at "
                                      << order_.connection_rate << "/s"
                                      << (reference_ ? ", v5 clients sent to " + *reference_ : std::string()));
    begin(EvacuationPhase::connections);
    tick();
  }

  void on_message(sched::Message& msg) override {
    if (auto* a = msg.as<EvacuateAnswer>()) {
      if (outstanding_ > 0) {
        --outstanding_;
      }
      last_answer_ms_ = steady_ms();
      if (a->counted) {
        tokens_ -= 1;
        evacuation_.count(phase_ == EvacuationPhase::connections);
      }
    } else if (msg.is<EvacuatorTick>()) {
      tick();
    }
  }

 private:
  std::uint32_t rate() const {
    return phase_ == EvacuationPhase::connections ? order_.connection_rate : order_.session_rate;
  }

  void begin(EvacuationPhase phase) {
    phase_ = phase;
    evacuation_.set_phase(phase);
    targets_ = registry_.snapshot();
    next_ = 0;
    ++pass_;
    outstanding_ = 0;
    tokens_ = 1;
    if (phase == EvacuationPhase::sessions) {
      ClientDirectory* d = registry_.directory();
      adopters_.clear();
      for (Adopter& a : d != nullptr ? d->adopters() : std::vector<Adopter>{}) {
        const auto& only = order_.migrate_to;
        if (only.empty() || std::find(only.begin(), only.end(), a.node) != only.end()) {
          adopters_.push_back(a.agent);
        }
      }
      evacuation_.set_peers(adopters_.size());
      if (adopters_.empty()) {
        targets_.clear();  // nowhere to go: the pass ends at once, and is tried again
      }
    }
  }

  void tick() {
    std::uint64_t now = steady_ms();
    std::uint64_t elapsed = now - last_ms_;
    last_ms_ = now;
    switch (phase_) {
      case EvacuationPhase::connections:
      case EvacuationPhase::sessions:
        if (now >= resume_ms_) {
          walk(elapsed, now);
        }
        break;
      case EvacuationPhase::waiting:
        if (registry_.size() == 0) {
          finish();
          return;
        }
        if (now >= resume_ms_) {
          ACTORMQ_LOG_NOTICE("evacuation: moving " << registry_.size() << " session(s) to peer nodes at "
                                                   << order_.session_rate << "/s");
          begin(EvacuationPhase::sessions);
        }
        break;
      case EvacuationPhase::idle:
      case EvacuationPhase::done:
        return;
    }
    if (phase_ != EvacuationPhase::done) {
      send_after(self(), sched::make_message<EvacuatorTick>(), tick_ms);
    }
  }

  // Sends the next sessions their Evacuate, as many as the rate allows:
  // only what a session counts (a connection ended, a move asked for) uses
  // the rate, so offline sessions cost the connection pass nothing.
  void walk(std::uint64_t elapsed, std::uint64_t now) {
    const double r = rate() == 0 ? 1e9 : static_cast<double>(rate());
    const double cap = std::max(1.0, r / 10);
    tokens_ = std::min(cap, tokens_ + r * static_cast<double>(elapsed) / 1000.0);
    const bool connection = phase_ == EvacuationPhase::connections;
    while (next_ < targets_.size() && tokens_ - static_cast<double>(outstanding_) >= 1) {
      sched::Pid adopter = connection ? sched::Pid{} : adopters_[(next_ + pass_) % adopters_.size()];
      if (send<Evacuate>(targets_[next_].second, Evacuate{self(), connection, adopter, reference_})) {
        ++outstanding_;
      }
      ++next_;
    }
    if (outstanding_ > 0 && now - last_answer_ms_ > answer_wait_ms) {
      outstanding_ = 0;  // those sessions ended meanwhile
    }
    if (next_ < targets_.size() || outstanding_ > 0) {
      return;
    }
    if (connection) {
      ACTORMQ_LOG_NOTICE("evacuation: connections ended; waiting " << order_.wait_takeover_ms
                                                                    << " ms for their clients to reconnect elsewhere");
      phase_ = EvacuationPhase::waiting;
      evacuation_.set_phase(phase_);
      resume_ms_ = now + order_.wait_takeover_ms;
      return;
    }
    if (registry_.size() == 0) {
      finish();
      return;
    }
    begin(EvacuationPhase::sessions);  // what could not move yet: again, after a pause
    resume_ms_ = now + retry_ms;
  }

  void finish() {
    phase_ = EvacuationPhase::done;
    evacuation_.set_phase(phase_);
    ACTORMQ_LOG_NOTICE("evacuation: done, no session left on this node");
    exit(sched::ExitReason::normal());
  }

  const SessionRegistry& registry_;
  Evacuation& evacuation_;
  EvacuationOrder order_;
  std::shared_ptr<const std::string> reference_;
  EvacuationPhase phase_ = EvacuationPhase::connections;
  std::vector<std::pair<std::string, sched::Pid>> targets_;
  std::vector<sched::Pid> adopters_;
  std::size_t next_ = 0;
  std::size_t pass_ = 0;  ///< a session that could not move tries the next peer on the next pass
  std::size_t outstanding_ = 0;
  double tokens_ = 1;
  std::uint64_t last_ms_ = 0;
  std::uint64_t last_answer_ms_ = 0;
  std::uint64_t resume_ms_ = 0;
};

}  // namespace

void Evacuation::start(sched::Runtime& runtime, const SessionRegistry& registry, EvacuationOrder order) {
  std::lock_guard lock(mu_);
  if (evacuator_.valid()) {
    runtime.exit(evacuator_, sched::ExitReason::kill());
  }
  disconnected_.store(0, std::memory_order_relaxed);
  moves_asked_.store(0, std::memory_order_relaxed);
  peers_.store(0, std::memory_order_relaxed);
  phase_.store(EvacuationPhase::connections, std::memory_order_relaxed);
  order_ = order;
  started_ms_ = wall_ms();
  active_.store(true, std::memory_order_release);  // before the first session is told: none comes back here
  sched::SpawnOptions o;
  o.pinned = true;  // its ticks are timers
  o.start = true;
  evacuator_ = runtime.spawn(std::make_unique<Evacuator>(registry, *this, std::move(order)), o);
}

void Evacuation::cancel(sched::Runtime& runtime) {
  std::lock_guard lock(mu_);
  if (evacuator_.valid()) {
    runtime.exit(evacuator_, sched::ExitReason::kill());
    evacuator_ = sched::Pid{};
  }
  active_.store(false, std::memory_order_release);
  phase_.store(EvacuationPhase::idle, std::memory_order_relaxed);
  ACTORMQ_LOG_NOTICE("evacuation: cancelled; clients are accepted again");
}

EvacuationStatus Evacuation::status(const SessionRegistry& registry) const {
  EvacuationStatus s;
  {
    std::lock_guard lock(mu_);
    s.order = order_;
    s.started_ms = started_ms_;
  }
  s.phase = phase_.load(std::memory_order_relaxed);
  s.disconnected = disconnected_.load(std::memory_order_relaxed);
  s.moves_asked = moves_asked_.load(std::memory_order_relaxed);
  s.peers = peers_.load(std::memory_order_relaxed);
  s.sessions_left = registry.size();
  return s;
}

std::optional<std::string> Evacuation::refusal() const {
  if (!active_.load(std::memory_order_acquire)) {
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  return order_.server_reference;
}

}  // namespace actormq::core
