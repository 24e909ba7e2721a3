// AppMessage (core/messages.hpp): properties held apart, only when set.
#include "core/messages.hpp"

#include <doctest/doctest.h>

namespace actormq::core {

TEST_CASE("AppMessage: no properties by default, set ones are kept, and empty ones are none") {
  AppMessage m;
  CHECK(m.properties().empty());
  mqtt::Properties p;
  p.message_expiry_interval = 30;
  p.content_type = "text/plain";
  m.set_properties(p);
  CHECK(m.properties() == p);
  m.set_properties(mqtt::Properties{});
  CHECK(m.properties().empty());
  // A message without properties costs no Properties of its own.
  CHECK(sizeof(AppMessage) < sizeof(mqtt::Properties));
}

}  // namespace actormq::core
