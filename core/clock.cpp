#include "core/clock.hpp"

#include <chrono>

namespace actormq::core {

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

bool expired(const AppMessage& msg, std::uint64_t now_ms) {
  const auto& expiry = msg.properties().message_expiry_interval;
  return expiry && now_ms >= msg.received_ms + std::uint64_t{*expiry} * 1000;
}

}  // namespace actormq::core
