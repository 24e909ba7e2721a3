#pragma once
// Why a process ended, carried by exit signals and DOWN messages.

#include <string>
#include <string_view>

namespace actormq::sched {

/// Erlang's exit reasons, as a closed set plus a free-text detail.
struct ExitReason {
  enum class Kind : unsigned char {
    normal,     ///< finished its work; linked processes do not die of it
    shutdown,   ///< asked to stop by its supervisor or the runtime
    kill,       ///< untrappable; the target dies with reason `killed`
    killed,     ///< what a process killed by `kill` reports to its links
    noproc,     ///< the process did not exist when linked or monitored
    exception,  ///< a handler threw: the detail is the exception's what()
    error,      ///< a process ended itself with an error of its own
    noconnection,  ///< its node could not be reached (link, monitor or node down)
  };

  Kind kind = Kind::normal;
  std::string detail;

  static ExitReason normal() { return {Kind::normal, {}}; }
  static ExitReason shutdown(std::string d = {}) { return {Kind::shutdown, std::move(d)}; }
  static ExitReason kill() { return {Kind::kill, {}}; }
  static ExitReason killed() { return {Kind::killed, {}}; }
  static ExitReason noproc() { return {Kind::noproc, {}}; }
  static ExitReason exception(std::string d) { return {Kind::exception, std::move(d)}; }
  static ExitReason error(std::string d) { return {Kind::error, std::move(d)}; }
  static ExitReason noconnection() { return {Kind::noconnection, {}}; }

  bool is_normal() const { return kind == Kind::normal; }
  /// Normal and shutdown ends are not failures: a transient child is not restarted.
  bool is_abnormal() const { return kind != Kind::normal && kind != Kind::shutdown; }

  std::string to_string() const {
    static constexpr std::string_view names[] = {"normal", "shutdown", "kill",    "killed",
                                                 "noproc", "exception", "error", "noconnection"};
    std::string s(names[static_cast<int>(kind)]);
    if (!detail.empty()) {
      s += ": ";
      s += detail;
    }
    return s;
  }

  friend bool operator==(const ExitReason&, const ExitReason&) = default;
};

}  // namespace actormq::sched
