#pragma once
// What services add to the broker's own reports: core never names the
// services (bridges, the cluster are above it), so each registers a source
// at start and removes it at stop, and the report (the $SYS topics, /metrics)
// collects what every source returns when it is made.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace actormq::core {

template <class Item>
class SourceSet {
 public:
  using Items = std::vector<Item>;
  using Source = std::function<Items()>;

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
  [[nodiscard]] Items collect() const {
    std::lock_guard lock(mutex_);
    Items all;
    for (const auto& [id, source] : sources_) {
      Items some = source();
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
