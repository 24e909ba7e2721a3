#pragma once
// One message's payload as a node link writes it (its type's layout and the
// bodies it refers to), and its round trip, for the layout tests.

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bridge/dist/codec.hpp"
#include "bridge/dist/registry.hpp"

namespace actormq::dist::test {

struct Payload {
  std::uint16_t id = 0;
  std::uint8_t version = 0;
  std::string bytes;
  std::vector<mqtt::SharedBytes> bodies;
};

inline Payload payload_of(const Registry& registry, const sched::Message& msg) {
  const Registry::Entry* type = registry.find_local(msg.type());
  REQUIRE(type);
  BodyTable table;
  Encoder out(table);
  type->encode(out, msg);
  REQUIRE(out.ok());
  return Payload{type->info.id, type->info.version, out.take(), table.bodies()};
}

/// Every cut of each message's layout and one byte more are refused
/// (a truncated or padded frame never decodes).
inline void check_cuts_and_trailing(const Registry& registry, const std::vector<sched::MessagePtr>& messages) {
  for (const sched::MessagePtr& msg : messages) {
    Payload p = payload_of(registry, *msg);
    CAPTURE(p.id);
    for (std::size_t cut = 0; cut < p.bytes.size(); ++cut) {
      CAPTURE(cut);
      CHECK_FALSE(registry.decode(p.id, p.version, std::string_view(p.bytes).substr(0, cut), p.bodies).ok());
    }
    std::string longer = p.bytes;
    longer.push_back('\0');
    CHECK(registry.decode(p.id, p.version, longer, p.bodies).error() == WireError::trailing_bytes);
  }
}

/// `msg` encoded as a node link writes it and decoded as the peer reads it.
inline sched::MessagePtr round_trip(const Registry& registry, const sched::Message& msg) {
  Payload p = payload_of(registry, msg);
  auto back = registry.decode(p.id, p.version, p.bytes, p.bodies);
  REQUIRE(back.ok());
  return std::move(*back);
}

}  // namespace actormq::dist::test
