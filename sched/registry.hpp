#pragma once
// Registered process names (Erlang's register/whereis), freed at process exit.

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sched/pid.hpp"

namespace actormq::sched {

/// Thread-safe. Lookups are rare (start-up, singletons like the router pool),
/// so one mutex suffices.
class Registry {
 public:
  /// False if the name is taken.
  bool add(std::string name, Pid pid);
  /// The registered pid, which may have just exited (a send then fails).
  std::optional<Pid> whereis(std::string_view name) const;
  /// False if the name was not registered to `pid`.
  bool remove(std::string_view name, Pid pid);
  /// Frees every name of `pid`.
  void remove_all(Pid pid);
  std::size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Pid, Hash, std::equal_to<>> by_name_;
  std::unordered_map<Pid, std::vector<std::string>> by_pid_;
};

}  // namespace actormq::sched
