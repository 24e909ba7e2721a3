#pragma once
// $SYS topics that services add to the broker's own (core/sys): a bridge
// reports its counters under $SYS/broker/bridge/<name>/, the cluster under
// $SYS/broker/cluster/. SysTopics publishes what every source returns, every
// sys_interval.

#include <string>
#include <utility>

#include "core/source_set.hpp"

namespace actormq::core {

class SysSources : public SourceSet<std::pair<std::string, std::string>> {
 public:
  /// (topic, value) pairs, the topics whole ("$SYS/broker/...").
  using Topics = Items;
};

}  // namespace actormq::core
