// A node's evacuation on the session's side (core/session/evacuate.cpp):
// connections sent away, offline sessions asked to move, the session that
// adopts one on another node, and CONNECTs refused meanwhile.
#include <doctest/doctest.h>

#include "tests/core/fake_channel_host.hpp"

using namespace actormq;
using namespace actormq::core;
using namespace actormq::core::channel_test;

namespace {

Evacuate connections(std::string reference = {}) {
  return Evacuate{sched::Pid(1, 3), true, {},
                  reference.empty() ? nullptr : std::make_shared<const std::string>(std::move(reference))};
}

Evacuate sessions(sched::Pid adopter) { return Evacuate{sched::Pid(1, 3), false, adopter, nullptr}; }

mqtt::Connect persistent(mqtt::ProtocolVersion v, std::string id) {
  mqtt::Connect c = connect(v, std::move(id));
  c.clean_start = false;
  if (v == mqtt::ProtocolVersion::v5) {
    c.properties.session_expiry_interval = 3600;
  }
  return c;
}

}  // namespace

TEST_CASE("evacuation: a v5 client gets DISCONNECT 0x9C with the Server Reference, its session stays offline") {
  FakeHost host;
  Channel ch(0);
  mqtt::Connect c = persistent(mqtt::ProtocolVersion::v5, "dev");
  c.will = mqtt::Will{"will/t", mqtt::SharedBytes::copy_of(std::string_view("gone")), QoS::at_most_once, false, {}};
  connect_ok(ch, host, std::move(c));
  CHECK(ch.evacuate(host, connections("10.0.0.2:1883")));
  const auto& d = host.last<mqtt::Disconnect>();
  CHECK(d.reason_code == ReasonCode::use_another_server);
  CHECK(d.properties.server_reference == std::optional<std::string>("10.0.0.2:1883"));
  CHECK(host.closes == 1);
  CHECK(ch.offline());
  CHECK(host.routed.empty());  // no will: the client comes back elsewhere
  CHECK_FALSE(host.ended);
  CHECK_FALSE(ch.evacuate(host, connections()));  // offline: nothing more to end
}

TEST_CASE("evacuation: a 3.1.1 client is closed without a packet, a clean session ends") {
  FakeHost host;
  Channel ch(0);
  connect_ok(ch, host, connect(mqtt::ProtocolVersion::v3_1_1, "clean"));
  CHECK(ch.evacuate(host, connections("elsewhere:1883")));
  CHECK(host.packets.empty());
  CHECK(host.closes == 1);
  CHECK(host.ended);
}

TEST_CASE("evacuation: an offline session asks the adopter to take it, with its identity") {
  FakeHost host;
  host.self_ = sched::Pid(1, 40);
  Channel ch(0);
  connect_ok(ch, host, persistent(mqtt::ProtocolVersion::v5, "dev"));
  // Still connected in the sessions pass (its CONNECT came before the
  // evacuation): its connection ends first, the next pass moves it.
  CHECK(ch.evacuate(host, sessions(sched::Pid(2, 5))));
  CHECK(ch.offline());
  CHECK(host.adoption_requests.empty());
  CHECK(ch.evacuate(host, sessions(sched::Pid(2, 5))));
  REQUIRE(host.adoption_requests.size() == 1);
  const auto& [agent, r] = host.adoption_requests[0];
  CHECK(agent == sched::Pid(2, 5));
  CHECK(r.session == sched::Pid(1, 40));
  CHECK(r.client_id == "dev");
  CHECK(r.version == mqtt::ProtocolVersion::v5);
  CHECK(r.session_expiry_s == 3600);
  CHECK_FALSE(ch.evacuate(host, sessions(sched::Pid{})));  // no peer: nothing asked
}

TEST_CASE("evacuation: Adopt hands an offline session over to the adopter, a connected one ignores it") {
  FakeHost host;
  host.self_ = sched::Pid(1, 40);
  Channel ch(0);
  mqtt::Connect c = persistent(mqtt::ProtocolVersion::v5, "dev");
  c.will = mqtt::Will{"will/t", mqtt::SharedBytes::copy_of(std::string_view("gone")), QoS::at_most_once, false, {}};
  c.will->properties.will_delay_interval = 600;
  connect_ok(ch, host, std::move(c));
  ch.handle_adopt(host, sched::Pid(2, 77));  // its client is here: never moved away from it
  CHECK(ch.connected());
  CHECK(host.handovers.empty());
  ch.on_connection_lost(host);  // its delayed will waits
  REQUIRE(ch.offline());
  ch.handle_adopt(host, sched::Pid(2, 77));
  CHECK(host.routed.empty());  // the will is not published: it goes with the state
  REQUIRE(host.handed.size() == 1);
  REQUIRE(host.handed[0].will != nullptr);
  CHECK(host.handed[0].will->topic == "will/t");
  REQUIRE(host.handovers.size() == 1);
  CHECK(host.handovers[0].first == sched::Pid(2, 77));
  CHECK_FALSE(host.handovers[0].second);  // the state, not a tail
  ch.handle_adopt(host, sched::Pid(3, 78));  // a second adopter finds it moving
  CHECK(host.handovers.size() == 1);
}

TEST_CASE("evacuation: the adopter asks for the state, settles offline with it and releases the old session") {
  FakeHost host;
  host.self_ = sched::Pid(2, 77);
  Channel ch(Channel::Restored{"dev", mqtt::ProtocolVersion::v5, 3600, SessionState{}, 0, nullptr}, false,
             sched::Pid(1, 40));
  REQUIRE(ch.adopting());
  ch.start_adopting(host);
  CHECK(host.adopts == std::vector<sched::Pid>{sched::Pid(1, 40)});
  SessionState state;
  state.will = std::make_unique<mqtt::Will>(
      mqtt::Will{"will/t", mqtt::SharedBytes::copy_of(std::string_view("gone")), QoS::at_most_once, false, {}});
  state.will->properties.will_delay_interval = 60;
  state.subscriptions.insert_or_assign(
      "a/#", Subscription::of("a/#", SubInfo{QoS::at_least_once, false, false, false, 0}));
  state.queue.push_back(delivery("a/1", QoS::at_least_once));
  ch.on_handover(host, std::move(state));
  CHECK_FALSE(ch.adopting());
  CHECK(ch.offline());
  CHECK(host.claims == std::vector<bool>{false});  // an offline claim: a connection elsewhere wins
  REQUIRE(host.route_adds.size() == 1);
  CHECK(host.route_adds[0].filter == "a/#");
  CHECK(host.released == std::vector<sched::Pid>{sched::Pid(1, 40)});
  CHECK(host.packets.empty());  // no CONNACK: nobody is connected
  CHECK(host.last_timer(ChannelTimer::session_expiry) != nullptr);
  REQUIRE(ch.state().will != nullptr);  // the delayed will moved with it and waits here
  REQUIRE(host.last_timer(ChannelTimer::will_delay) != nullptr);
  CHECK(host.last_timer(ChannelTimer::will_delay)->ms == 60000);
  CHECK(ch.state().queue.size() == 1);
  CHECK_FALSE(host.ended);
}

TEST_CASE("evacuation: an adopter whose session ends or never answers gives up, claiming nothing") {
  for (int how = 0; how < 3; ++how) {
    FakeHost host;
    host.self_ = sched::Pid(2, 77);
    Channel ch(Channel::Restored{"dev", mqtt::ProtocolVersion::v3_1_1, 60, SessionState{}, 0, nullptr}, false,
               sched::Pid(1, 40));
    ch.start_adopting(host);
    if (how == 0) {
      ch.on_down(host, sched::Pid(1, 40), sched::ExitReason::normal());
    } else if (how == 1) {
      ch.on_connect_timeout(host);
    } else {
      ch.on_handover_part(host, HandoverPart{mqtt::SharedBytes::copy_of(std::string_view("not a state")), true, false});
    }
    CHECK(host.ended);
    CHECK(host.claims.empty());
    CHECK(host.route_adds.empty());
    CHECK(host.released.empty());
  }
}

TEST_CASE("evacuation: a CONNECT is refused, v5 with 0x9C and the Server Reference, 3.1.1 with return code 3") {
  FakeHost host;
  host.evacuated = true;
  host.evacuation_reference = "10.0.0.2:1883";
  Channel v5(0);
  in(v5, host, connect(mqtt::ProtocolVersion::v5, "late"));
  const auto& ack = host.last<mqtt::Connack>();
  CHECK(ack.reason_code == ReasonCode::use_another_server);
  CHECK(ack.properties.server_reference == std::optional<std::string>("10.0.0.2:1883"));
  CHECK_FALSE(v5.connected());
  CHECK(host.claims.empty());

  FakeHost host3;
  host3.evacuated = true;
  Channel v3(0);
  in(v3, host3, connect(mqtt::ProtocolVersion::v3_1_1, "late"));
  CHECK(host3.last<mqtt::Connack>().reason_code == ReasonCode::server_unavailable);
  CHECK_FALSE(v3.connected());
  CHECK(host3.closes == 1);
}
