#pragma once
// A bridge's topics, mosquitto's semantics: each entry maps local topics
// (local_prefix + pattern) to remote ones (remote_prefix + pattern). `out`
// entries carry local publishes to the remote, `in` entries the remote's
// publishes here, `both` both. A topic is mapped by the first entry of its
// direction whose filter matches it and whose prefix it starts with: the
// prefix is swapped, the rest kept (local "a/t" with local_prefix "a/" and
// remote_prefix "r/" is remote "r/t"). A topic that a filter matches only
// through '#' matching its parent level ("a" for "a/#") has no such prefix,
// and is not carried.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/bridges.hpp"
#include "mqtt/constants.hpp"

namespace actormq::bridge {

/// Where a message goes across the bridge, and the most QoS it keeps.
struct Mapped {
  std::string topic;
  mqtt::QoS qos = mqtt::QoS::at_most_once;
  friend bool operator==(const Mapped&, const Mapped&) = default;
};

/// A filter and the QoS to subscribe it with.
struct FilterQos {
  std::string filter;
  mqtt::QoS qos = mqtt::QoS::at_most_once;
  friend bool operator==(const FilterQos&, const FilterQos&) = default;
};

class TopicMap;

/// How a changed bridge's local routes pass from its old process to its new
/// one (BridgeHandOver, bridge_link.hpp): the filters both maps have move to
/// the new process, with the new map's QoS; the old map's others go; the new
/// map's others are added.
struct RouteHandOver {
  std::vector<FilterQos> moved;
  std::vector<std::string> removed;
  std::vector<FilterQos> added;
};
[[nodiscard]] RouteHandOver route_hand_over(const TopicMap& from, const TopicMap& to);

class TopicMap {
 public:
  explicit TopicMap(const std::vector<core::BridgeTopicConfig>& topics);

  /// The local filters of the out and both entries, each once, at the
  /// highest QoS of the entries that name it.
  [[nodiscard]] const std::vector<FilterQos>& local_filters() const noexcept { return local_; }
  /// The remote filters of the in and both entries, likewise.
  [[nodiscard]] const std::vector<FilterQos>& remote_filters() const noexcept { return remote_; }

  /// The remote topic of local `topic`, if an out or both entry carries it.
  [[nodiscard]] std::optional<Mapped> outward(std::string_view topic) const;
  /// The local topic of remote `topic`, if an in or both entry carries it.
  [[nodiscard]] std::optional<Mapped> inward(std::string_view topic) const;

 private:
  struct Entry {
    std::string from_filter;
    std::string from_prefix;
    std::string to_prefix;
    mqtt::QoS qos;
  };
  static std::optional<Mapped> map(const std::vector<Entry>& entries, std::string_view topic);

  std::vector<Entry> out_;  ///< local -> remote
  std::vector<Entry> in_;   ///< remote -> local
  std::vector<FilterQos> local_;
  std::vector<FilterQos> remote_;
};

}  // namespace actormq::bridge
