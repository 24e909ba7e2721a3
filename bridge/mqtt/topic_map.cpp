#include "bridge/mqtt/topic_map.hpp"

#include <algorithm>

#include "mqtt/topic.hpp"

namespace actormq::bridge {

namespace {

void add_filter(std::vector<FilterQos>& filters, std::string filter, mqtt::QoS qos) {
  auto it = std::find_if(filters.begin(), filters.end(), [&](const FilterQos& f) { return f.filter == filter; });
  if (it == filters.end()) {
    filters.push_back(FilterQos{std::move(filter), qos});
  } else {
    it->qos = std::max(it->qos, qos);
  }
}

}  // namespace

TopicMap::TopicMap(const std::vector<core::BridgeTopicConfig>& topics) {
  for (const core::BridgeTopicConfig& t : topics) {
    const auto qos = static_cast<mqtt::QoS>(t.qos);
    if (t.outward()) {
      out_.push_back(Entry{t.local_filter(), t.local_prefix, t.remote_prefix, qos});
      add_filter(local_, t.local_filter(), qos);
    }
    if (t.inward()) {
      in_.push_back(Entry{t.remote_filter(), t.remote_prefix, t.local_prefix, qos});
      add_filter(remote_, t.remote_filter(), qos);
    }
  }
}

std::optional<Mapped> TopicMap::map(const std::vector<Entry>& entries, std::string_view topic) {
  for (const Entry& e : entries) {
    if (topic.starts_with(e.from_prefix) && mqtt::topic_matches(e.from_filter, topic)) {
      std::string to = e.to_prefix;
      to.append(topic.substr(e.from_prefix.size()));
      return Mapped{std::move(to), e.qos};
    }
  }
  return std::nullopt;
}

std::optional<Mapped> TopicMap::outward(std::string_view topic) const { return map(out_, topic); }

std::optional<Mapped> TopicMap::inward(std::string_view topic) const { return map(in_, topic); }

RouteHandOver route_hand_over(const TopicMap& from, const TopicMap& to) {
  RouteHandOver plan;
  auto named = [](const std::vector<FilterQos>& filters, const std::string& filter) {
    return std::find_if(filters.begin(), filters.end(), [&](const FilterQos& f) { return f.filter == filter; });
  };
  for (const FilterQos& f : to.local_filters()) {
    if (named(from.local_filters(), f.filter) != from.local_filters().end()) {
      plan.moved.push_back(f);
    } else {
      plan.added.push_back(f);
    }
  }
  for (const FilterQos& f : from.local_filters()) {
    if (named(to.local_filters(), f.filter) == to.local_filters().end()) {
      plan.removed.push_back(f.filter);
    }
  }
  return plan;
}

}  // namespace actormq::bridge
