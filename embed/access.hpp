#pragma once
// What the actormq binary needs beyond the public API (include/actormq/):
// a broker from a Config it has already parsed and changed with the
// command line's options, and the file it came from (read again on
// reload() for the bridges). Not installed.

#include "actormq/broker.hpp"
#include "core/config/config.hpp"

namespace actormq {

struct BrokerAccess {
  static Broker from_config(core::Config config, std::string config_file = {});
};

}  // namespace actormq
