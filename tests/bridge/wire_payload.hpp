#pragma once
// One message's payload as a node link writes it (its type's layout and the
// bodies it refers to), for the layout tests.

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

}  // namespace actormq::dist::test
