#pragma once
// The retainer process: the broker's retained messages, one per topic, served
// to new subscriptions by wildcard lookup. It is the only writer of the
// stored copy (persist/, database `retained`), read back at start.

#include <cstdint>
#include <map>
#include <string>

#include "core/messages.hpp"
#include "core/metrics.hpp"
#include "core/retained_index.hpp"
#include "persist/writer.hpp"
#include "sched/process.hpp"

namespace actormq::core {

class Retainer : public sched::Process {
 public:
  /// `store`: the persistence process, or nullptr (memory only); `index`:
  /// the retained messages read back from it.
  Retainer(Metrics& metrics, persist::Writer* store, RetainedIndex<AppMessagePtr> index);

 protected:
  void on_start() override;
  void on_message(sched::Message& msg) override;

 private:
  void store(const AppMessagePtr& msg, persist::HoldPtr hold);
  void erase(const std::string& topic);
  void query(const RetainQuery& q);
  /// Remembers when `msg` expires (v5 Message Expiry Interval) and makes
  /// sure a sweep is due by then.
  void watch_expiry(const AppMessagePtr& msg);
  /// Erases every retained message whose expiry has passed (MQTT 5 3.3.2.3.3:
  /// the server deletes it), from the index and the store.
  /// The sweep timer set for `due` fired; stale timers are ignored.
  void sweep(std::uint64_t due);

  Metrics& metrics_;
  persist::Writer* store_;
  RetainedIndex<AppMessagePtr> index_;
  /// Expiry time (wall ms) -> topic, for messages that have one. An entry
  /// may be stale (the topic replaced since): the sweep checks the index.
  std::multimap<std::uint64_t, std::string> expiries_;
  std::uint64_t sweep_due_ms_ = 0;  ///< wall ms of the pending sweep; 0: none
};

/// Wall-clock milliseconds (message expiry is wall time: it survives restarts).
std::uint64_t wall_ms();

/// True if a v5 Message Expiry Interval has passed since the message arrived.
bool expired(const AppMessage& msg, std::uint64_t now_ms);

}  // namespace actormq::core
