#pragma once
// The retainer process: the broker's retained messages, one per topic, served
// to new subscriptions by wildcard lookup. It is the only writer of the
// stored copy (persist/, database `retained`), read back at start.
//
// While that copy is still being read (core/routing/retained_load.hpp) the retainer
// is "loading": it stores, deletes and expires what clients publish as
// usual, but holds every lookup until the load is handed over; then a topic
// stored or deleted meanwhile keeps its new state, whatever the load read.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/messages.hpp"
#include "core/metrics.hpp"
#include "core/routing/retained_index.hpp"
#include "core/routing/retained_load.hpp"
#include "persist/writer.hpp"
#include "sched/process.hpp"

namespace actormq::core {

class Retainer : public sched::Process {
 public:
  /// `store`: the persistence process, or nullptr (memory only).
  /// `loading`: the stored retained messages arrive later, as one
  /// RetainedLoaded message (core/routing/retained_load.hpp); until then lookups wait.
  Retainer(Metrics& metrics, persist::Writer* store, bool loading);

 protected:
  void on_message(sched::Message& msg) override;

 private:
  void store(const AppMessagePtr& msg, persist::HoldPtr hold);
  /// Another node's retained message (RetainStore::from_node): stored if newer.
  void replicated(const AppMessagePtr& msg);
  void tell_observers(const AppMessagePtr& msg);
  void dump(const RetainDump& d);
  void erase_asked(const RetainErase& e);
  void erase(const std::string& topic);
  void query(const RetainQuery& q);
  /// The load is over: what it read joins the index (under what was stored
  /// or deleted meanwhile) and the held lookups are answered.
  void take_loaded(RetainedLoaded& done);
  /// Puts the loaded messages under those stored or deleted meanwhile and
  /// makes them the index; returns how many expired ones it erased from the store.
  std::size_t merge(LoadedRetained& loaded);
  /// Remembers when `msg` expires (v5 Message Expiry Interval) and makes
  /// sure a sweep is due by then.
  void watch_expiry(const AppMessagePtr& msg);
  /// Makes sure a sweep is due by wall time `at`.
  void arm_sweep(std::uint64_t at);
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
  bool loading_ = false;
  /// While loading: topics stored or deleted since the load began (their
  /// state in the index wins over the load's).
  std::unordered_set<std::string, StringHash, std::equal_to<>> touched_;
  /// While loading: lookups, answered in order when the load is over.
  std::vector<RetainQuery> held_;
  std::vector<RetainDump> held_dumps_;
  std::vector<RetainErase> held_erases_;
  std::vector<sched::Pid> observers_;  ///< RetainObserve
};

}  // namespace actormq::core
