#pragma once
// systemd's notification protocol (sd_notify(3)), without libsystemd: run
// as a Type=notify service, the broker finds a Unix datagram socket in
// $NOTIFY_SOCKET (a path, or "@" for an abstract name) and tells systemd of
// each state in one datagram. It matters for upgrades: the new process
// names itself (MAINPID) before the old one exits, so that systemd follows
// the service into it instead of taking the old process's exit for the
// service's end (the unit sets NotifyAccess=all). Without the variable,
// nothing is sent.

#include <sys/types.h>

#include <string>
#include <string_view>

namespace actormq::core::upgrade {

class SystemdNotifier {
 public:
  /// From $NOTIFY_SOCKET, read once.
  [[nodiscard]] static SystemdNotifier from_environment();
  explicit SystemdNotifier(std::string socket_path) : path_(std::move(socket_path)) {}

  [[nodiscard]] bool enabled() const noexcept { return !path_.empty(); }
  /// Serving: after the start, and in the new process of an upgrade.
  void ready(pid_t main_pid) const;
  void reloading() const { (void)send("RELOADING=1"); }
  void reloaded() const { (void)send("READY=1"); }
  void stopping() const { (void)send("STOPPING=1"); }
  /// One datagram, `state` as sd_notify takes it; false if it could not go.
  bool send(std::string_view state) const;

 private:
  std::string path_;
};

}  // namespace actormq::core::upgrade
