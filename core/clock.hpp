#pragma once
// Time as every room of core/ needs it: wall-clock milliseconds, and whether
// a message has outlived its v5 Message Expiry Interval.

#include <cstdint>

#include "core/messages.hpp"

namespace actormq::core {

/// Wall-clock milliseconds (message and session expiry are wall time: they
/// keep running while the broker is down).
std::uint64_t wall_ms();

/// True if a v5 Message Expiry Interval has passed since the message arrived.
bool expired(const AppMessage& msg, std::uint64_t now_ms);

}  // namespace actormq::core
