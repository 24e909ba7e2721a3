#pragma once
// Upgrade without downtime, single node (SIGUSR2): the running process (the
// old one) starts the binary now at its own path with its own arguments,
// hands it the listening sockets, drains its clients and closes the store,
// and exits once the new process serves (handover.hpp for the exchange).
// Both hold the sockets throughout: a connection attempt at any instant
// waits in the kernel's backlog for one of them, none is refused. If the
// new process fails before it serves, the old one serves on.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/broker.hpp"
#include "core/result.hpp"
#include "core/upgrade/control_socket.hpp"

namespace actormq::core::upgrade {

/// What the old process's broker does for an upgrade (main.cpp implements
/// it over the library's actormq::Broker).
class UpgradeBroker {
 public:
  virtual ~UpgradeBroker() = default;
  /// The listening sockets (Broker::listening_sockets), borrowed.
  virtual std::vector<ListenerSocket> listening_sockets() = 0;
  /// Stops accepting and ends the clients' connections (Broker::drain).
  virtual DrainReport drain(std::uint32_t per_second) = 0;
  /// Stops the broker: the store is closed when it returns.
  virtual void stop() = 0;
  /// Starts it again on `sockets` (owned), after a failed upgrade.
  virtual Status restart(std::vector<ListenerSocket> sockets) = 0;
};

struct UpgradeOptions {
  std::string executable;         ///< the binary's path as started (/proc/self/exe then)
  std::vector<std::string> argv;  ///< its arguments, argv[0] included
  std::uint32_t drain_rate = 0;   ///< upgrade_drain_rate: clients a second, 0: all at once
  int signal_fd = -1;             ///< the process's signalfd: signals that arrive meanwhile
  /// For hello, and for ready after the sockets.
  std::chrono::milliseconds start_timeout{10000};
  /// For serving, once the store is released (the new process reads it back).
  std::chrono::milliseconds serve_timeout{120000};
};

enum class UpgradeOutcome : std::uint8_t {
  upgraded,     ///< the new process serves: exit 0
  rolled_back,  ///< it failed; this one serves again
  stop,         ///< SIGINT/SIGTERM before the hand-over: the new process is gone, stop as asked
  failed,       ///< it failed after the store was released and this one could not start again: exit 1
};

/// The old process's side, run on the thread that reads the signals.
/// Blocks until the outcome.
[[nodiscard]] UpgradeOutcome run_upgrade(UpgradeBroker& broker, const UpgradeOptions& options);

/// The new process's side: the hand-over socket named by the environment
/// (ACTORMQ_UPGRADE_FD) of a binary started by an upgrade.
class UpgradeJoin {
 public:
  /// nullopt when not started by an upgrade. Removes the variable, so
  /// that a later upgrade of this process starts clean.
  static std::optional<UpgradeJoin> from_environment();

  /// hello, the sockets, ready; then waits until the old process has
  /// released the store. Fails if the old process goes away or refuses,
  /// or SIGINT/SIGTERM arrives on `signal_fd` meanwhile: the caller exits,
  /// and the old process serves on.
  [[nodiscard]] Result<std::vector<ListenerSocket>> take_over(int signal_fd);
  /// The broker serves: the old process may exit.
  void serving();
  /// The broker did not start: the old process starts again.
  void failed(const std::string& why);

 private:
  explicit UpgradeJoin(ControlSocket control) : control_(std::move(control)) {}
  ControlSocket control_;
};

/// The environment variable naming the new process's end of the socket pair.
inline constexpr const char* upgrade_fd_variable = "ACTORMQ_UPGRADE_FD";

}  // namespace actormq::core::upgrade
