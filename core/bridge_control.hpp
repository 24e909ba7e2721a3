#pragma once
// What the HTTP API sees of the bridges (bridges/ is above core: core never
// names it). The bridge service implements BridgeControl and registers it
// at start, removes it at stop; the API lists what every registered control
// reports and asks them to enable or disable a bridge at run time.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace actormq::core {

/// One bridge as the API shows it.
struct BridgeView {
  std::string name;
  std::string type;    ///< "mqtt"
  std::string remote;  ///< its first address, "host:port"
  bool enabled = true;  ///< false: disabled by an operator, not dialling
  std::string state;   ///< "down", "connecting", "up", "disabled"
  std::uint64_t messages_received = 0;  ///< from the remote
  std::uint64_t messages_sent = 0;      ///< taken by the remote
  std::uint64_t messages_dropped = 0;   ///< for the remote, given up
  std::uint64_t buffered_messages = 0;  ///< owed to the remote now
  std::uint64_t buffered_bytes = 0;
};

class BridgeControl {
 public:
  /// Thread-safe. Every bridge, in configuration order.
  [[nodiscard]] virtual std::vector<BridgeView> bridge_views() const = 0;
  /// Thread-safe. Stops (the connection closes cleanly, no more dialling)
  /// or starts again the bridge `name`; false if it has none of that name.
  virtual bool set_bridge_enabled(std::string_view name, bool enabled) = 0;

 protected:
  ~BridgeControl() = default;
};

/// The registered controls. Thread-safe.
class BridgeControls {
 public:
  /// Returns the id that remove() takes.
  std::uint64_t add(BridgeControl* control) {
    std::lock_guard lock(mutex_);
    controls_.emplace(++last_id_, control);
    return last_id_;
  }
  /// Once it returns, the control is not called again.
  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    controls_.erase(id);
  }
  [[nodiscard]] std::vector<BridgeView> views() const {
    std::lock_guard lock(mutex_);
    std::vector<BridgeView> all;
    for (const auto& [id, control] : controls_) {
      std::vector<BridgeView> some = control->bridge_views();
      all.insert(all.end(), some.begin(), some.end());
    }
    return all;
  }
  /// False if no control has a bridge `name`.
  bool set_enabled(std::string_view name, bool enabled) {
    std::lock_guard lock(mutex_);
    for (const auto& [id, control] : controls_) {
      if (control->set_bridge_enabled(name, enabled)) {
        return true;
      }
    }
    return false;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::uint64_t, BridgeControl*> controls_;
  std::uint64_t last_id_ = 0;
};

}  // namespace actormq::core
