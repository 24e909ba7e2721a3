#pragma once
// $SYS topics that services add to the broker's own (core/sys): a bridge
// reports its counters under $SYS/broker/bridge/<name>/. Core never names
// the services: each registers a source at start and removes it at stop,
// and SysTopics publishes what every source returns, every sys_interval.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace actormq::core {

class SysSources {
 public:
  /// (topic, value) pairs, the topics whole ("$SYS/broker/...").
  using Topics = std::vector<std::pair<std::string, std::string>>;
  using Source = std::function<Topics()>;

  /// Thread-safe. Returns the id that remove() takes.
  std::uint64_t add(Source source) {
    std::lock_guard lock(mutex_);
    sources_.emplace(++last_id_, std::move(source));
    return last_id_;
  }
  /// Thread-safe. Once it returns, the source is not called again.
  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    sources_.erase(id);
  }
  /// Thread-safe. What every source returns, in the order they were added.
  [[nodiscard]] Topics collect() const {
    std::lock_guard lock(mutex_);
    Topics all;
    for (const auto& [id, source] : sources_) {
      Topics some = source();
      all.insert(all.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
    }
    return all;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Source> sources_;
  std::uint64_t last_id_ = 0;
};

}  // namespace actormq::core
