#pragma once
// The retainer process: the broker's retained messages, one per topic, served
// to new subscriptions by wildcard lookup. It is the only writer of the
// stored copy (persist/, database `retained`), read back at start.

#include <cstdint>

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
  void on_message(sched::Message& msg) override;

 private:
  void store(const AppMessagePtr& msg, std::shared_ptr<void> hold);
  void erase(const std::string& topic);
  void query(const RetainQuery& q);

  Metrics& metrics_;
  persist::Writer* store_;
  RetainedIndex<AppMessagePtr> index_;
};

/// Wall-clock milliseconds (message expiry is wall time: it survives restarts).
std::uint64_t wall_ms();

/// True if a v5 Message Expiry Interval has passed since the message arrived.
bool expired(const AppMessage& msg, std::uint64_t now_ms);

}  // namespace actormq::core
