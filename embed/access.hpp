#pragma once
// What the actormq binary needs beyond the public API (include/actormq/):
// a broker from a Config it has already parsed and changed with the
// command line's options, and the file it came from (read again on
// reload(), with the same options applied). Not installed.

#include <cstdint>
#include <vector>

#include "actormq/broker.hpp"
#include "core/broker.hpp"
#include "core/config/cli.hpp"
#include "core/config/config.hpp"

namespace actormq {

struct BrokerAccess {
  static Broker from_config(core::Config config, std::string config_file = {}, core::CliOverrides overrides = {});
  /// Upgrade (core/upgrade/): the next start() listens on `sockets`
  /// (core::Broker::inherit).
  static void inherit(Broker& broker, std::vector<core::ListenerSocket> sockets);
  /// core::Broker::listening_sockets of the running broker.
  static std::vector<core::ListenerSocket> listening_sockets(Broker& broker);
  /// Stops accepting and drains the clients (core::Broker::drain).
  static core::DrainReport drain(Broker& broker, std::uint32_t per_second);
};

}  // namespace actormq
