#pragma once
// The host's message properties (actormq::Properties, the public header)
// and the codec's: checked on the way in, where what MQTT cannot carry is
// refused naming the property (a client would never see it otherwise: its
// PUBLISH could not be encoded), and given what is left of the expiry
// interval on the way out, as a client is (MQTT 5 3.3.2.3.3).

#include <cstdint>

#include "actormq/broker.hpp"
#include "core/messages.hpp"
#include "core/result.hpp"
#include "mqtt/properties.hpp"

namespace actormq::embed {

[[nodiscard]] core::Result<mqtt::Properties> publish_properties(const Properties& p);
/// `msg`'s properties as a callback receives them, at wall-clock `now_ms`.
[[nodiscard]] Properties host_properties(const core::AppMessage& msg, std::uint64_t now_ms);

}  // namespace actormq::embed
