#pragma once
// The retainer process: the broker's retained messages, one per topic, served
// to new subscriptions by wildcard lookup. (Persistence to LMDB comes with the
// persistence layer; this process is the only writer either way.)

#include <cstdint>

#include "core/messages.hpp"
#include "core/metrics.hpp"
#include "core/retained_index.hpp"
#include "sched/process.hpp"

namespace actormq::core {

class Retainer : public sched::Process {
 public:
  explicit Retainer(Metrics& metrics);

 protected:
  void on_message(sched::Message& msg) override;

 private:
  void store(const AppMessagePtr& msg);
  void query(const RetainQuery& q);

  Metrics& metrics_;
  RetainedIndex<AppMessagePtr> index_;
};

/// Wall-clock milliseconds (message expiry is wall time: it survives restarts).
std::uint64_t wall_ms();

/// True if a v5 Message Expiry Interval has passed since the message arrived.
bool expired(const AppMessage& msg, std::uint64_t now_ms);

}  // namespace actormq::core
