// How a session moves between nodes (bridge/cluster/session_move_proto_v1.cpp)
// and the cluster's client directory (bridge/cluster/cluster_directory.cpp).
#include "bridge/cluster/session_move_proto_v1.hpp"

#include <doctest/doctest.h>

#include "bridge/cluster/cluster_directory.hpp"
#include "bridge/cluster/packed_claim.hpp"
#include "bridge/dist/wire.hpp"
#include "core/session/channel_host.hpp"
#include "core/session/session_state_codec.hpp"
#include "sched/runtime.hpp"
#include "tests/bridge/cluster_samples.hpp"
#include "tests/bridge/wire_payload.hpp"

using namespace actormq;
using namespace actormq::cluster;
using dist::Registry;
using dist::WireError;
using dist::test::payload_of;
using dist::test::round_trip;

namespace {

Registry move_registry() {
  Registry r;
  add_session_move_types_v1(r);
  return r;
}


std::optional<WireError> decode_error(const Registry& registry, const sched::Message& msg) {
  auto p = payload_of(registry, msg);
  auto back = registry.decode(p.id, p.version, p.bytes, p.bodies);
  return back.ok() ? std::nullopt : std::optional<WireError>(back.error());
}

}  // namespace

TEST_CASE("session move proto: a takeover keeps its session, clean flag and user") {
  Registry registry = move_registry();
  core::Takeover t{sched::Pid(2, 40), false, std::make_shared<const std::string>("alice")};
  auto back = round_trip(registry, *sched::make_message<core::Takeover>(t));
  auto* got = back->as<core::Takeover>();
  REQUIRE(got);
  CHECK(got->by == sched::Pid(2, 40));
  CHECK_FALSE(got->clean);
  REQUIRE(got->username);
  CHECK(*got->username == "alice");
  auto anon = round_trip(registry, *sched::make_message<core::Takeover>(core::Takeover{sched::Pid(2, 1), true, nullptr}));
  CHECK(anon->as<core::Takeover>()->clean);
  CHECK(anon->as<core::Takeover>()->username == nullptr);
}

TEST_CASE("session move proto: a state crosses in parts, each a body of its frame, and reads back whole") {
  Registry registry = move_registry();
  core::SessionState state = test::sample_session_state();
  std::vector<std::string> parts = core::encode_session_state(state, 64);  // small parts: several
  REQUIRE(parts.size() > 1);
  core::SessionStateDecoder decoder;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    core::HandoverPart part{mqtt::SharedBytes::copy_of(std::string_view(parts[i])), i + 1 == parts.size(), true};
    auto p = payload_of(registry, *sched::make_message<core::HandoverPart>(part));
    REQUIRE(p.bodies.size() == 1);
    auto back = registry.decode(p.id, p.version, p.bytes, p.bodies);
    REQUIRE(back.ok());
    auto* got = (*back)->as<core::HandoverPart>();
    REQUIRE(got);
    CHECK(got->last == (i + 1 == parts.size()));
    CHECK(got->tail);
    CHECK(decoder.add(got->bytes.view()));
  }
  auto read = std::move(decoder).finish();
  REQUIRE(read);
  CHECK(read->subscriptions.size() == 1);
  CHECK(read->inflight.size() == 1);
  REQUIRE(read->queue.size() == 1);
  CHECK(read->queue.front().msg->topic == "sensors/7/temp");
  CHECK(read->last_packet_id == 7);
}

TEST_CASE("session move proto: releases, client rows, pings and pongs round-trip") {
  Registry registry = move_registry();
  auto r = round_trip(registry, *sched::make_message<core::HandoverRelease>(
                                    core::HandoverRelease{sched::Pid(1, 9), sched::Pid(2, 40)}));
  CHECK(r->as<core::HandoverRelease>()->previous == sched::Pid(1, 9));
  CHECK(r->as<core::HandoverRelease>()->by == sched::Pid(2, 40));
  ClusterClients c{ClusterRoutes::Op::remove, sched::Pid(2, 5), {{"dev-1", sched::Pid(2, 40), 1733490000000}}};
  auto back = round_trip(registry, *sched::make_message<ClusterClients>(c));
  REQUIRE(back->as<ClusterClients>());
  CHECK(back->as<ClusterClients>()->op == ClusterRoutes::Op::remove);
  CHECK(back->as<ClusterClients>()->agent == sched::Pid(2, 5));
  CHECK(back->as<ClusterClients>()->rows == c.rows);
  auto ping = round_trip(registry, *sched::make_message<ClusterPing>(ClusterPing{sched::Pid(2, 5), 99}));
  CHECK(ping->as<ClusterPing>()->tag == 99);
  auto pong = round_trip(registry, *sched::make_message<ClusterPong>(ClusterPong{sched::Pid(3, 5), 99}));
  CHECK(pong->as<ClusterPong>()->agent == sched::Pid(3, 5));
}

TEST_CASE("session move proto: every cut and a trailing byte are refused") {
  Registry registry = move_registry();
  dist::test::check_cuts_and_trailing(registry, test::sample_session_move_messages());
}

TEST_CASE("session move proto: an adoption request keeps the session's identity") {
  Registry registry = move_registry();
  core::AdoptRequest r{sched::Pid(1, 40), "dev-1", mqtt::ProtocolVersion::v5, 3600, "alice", 2};
  auto back = round_trip(registry, *sched::make_message<core::AdoptRequest>(r));
  auto* got = back->as<core::AdoptRequest>();
  REQUIRE(got != nullptr);
  CHECK(got->session == sched::Pid(1, 40));
  CHECK(got->client_id == "dev-1");
  CHECK(got->version == mqtt::ProtocolVersion::v5);
  CHECK(got->session_expiry_s == 3600);
  CHECK(got->username == std::optional<std::string>("alice"));
  CHECK(got->listener_index == 2);
  auto anon = round_trip(registry, *sched::make_message<core::AdoptRequest>(core::AdoptRequest{
                                       sched::Pid(1, 41), "d", mqtt::ProtocolVersion::v3_1, 10, std::nullopt, 0}));
  CHECK_FALSE(anon->as<core::AdoptRequest>()->username);
  auto adopt = round_trip(registry, *sched::make_message<core::Adopt>(core::Adopt{sched::Pid(2, 77)}));
  CHECK(adopt->as<core::Adopt>()->by == sched::Pid(2, 77));
}

TEST_CASE("session move proto: an adoption request for no session, or no persistent one, is refused") {
  Registry registry = move_registry();
  auto refused = [&](core::AdoptRequest r) {
    return decode_error(registry, *sched::make_message<core::AdoptRequest>(std::move(r)));
  };
  const auto v5 = mqtt::ProtocolVersion::v5;
  CHECK_FALSE(refused({sched::Pid(1, 40), "dev", v5, 60, std::nullopt, 0}));
  CHECK(refused({sched::Pid{}, "dev", v5, 60, std::nullopt, 0}) == WireError::bad_value);
  CHECK(refused({sched::Pid(1, 40), "", v5, 60, std::nullopt, 0}) == WireError::bad_value);
  CHECK(refused({sched::Pid(1, 40), "\xff", v5, 60, std::nullopt, 0}) == WireError::bad_value);
  CHECK(refused({sched::Pid(1, 40), "dev", v5, 0, std::nullopt, 0}) == WireError::bad_value);  // ends with its connection
  CHECK(refused({sched::Pid(1, 40), "dev", v5, 60, std::string("a\0b", 3), 0}) == WireError::bad_value);
  CHECK(refused({sched::Pid(1, 40), "dev", static_cast<mqtt::ProtocolVersion>(6), 60, std::nullopt, 0}) ==
        WireError::bad_value);
  CHECK(refused({sched::Pid(1, 40), "dev", static_cast<mqtt::ProtocolVersion>(2), 60, std::nullopt, 0}) ==
        WireError::bad_value);
  CHECK(decode_error(registry, *sched::make_message<core::Adopt>(core::Adopt{sched::Pid{}})) == WireError::bad_value);
}

TEST_CASE("session move proto: what no session could be is refused") {
  Registry registry = move_registry();
  // No session, no agent.
  CHECK(decode_error(registry, *sched::make_message<core::Takeover>(core::Takeover{sched::Pid{}, false, nullptr})) ==
        WireError::bad_value);
  CHECK(decode_error(registry, *sched::make_message<core::HandoverRelease>(
                                   core::HandoverRelease{sched::Pid(1, 9), sched::Pid{}})) == WireError::bad_value);
  CHECK(decode_error(registry, *sched::make_message<ClusterPing>(ClusterPing{sched::Pid{}, 1})) == WireError::bad_value);
  // A user name that is no MQTT UTF-8 string (MQTT-1.5.4-2: no U+0000).
  CHECK(decode_error(registry, *sched::make_message<core::Takeover>(core::Takeover{
                                   sched::Pid(2, 1), false, std::make_shared<const std::string>(std::string("a\0b", 3))})) ==
        WireError::bad_value);
  // Client ids: empty, not UTF-8, a null session.
  auto rows = [&](ClientRow row) {
    return decode_error(registry, *sched::make_message<ClusterClients>(
                                      ClusterClients{ClusterRoutes::Op::add, sched::Pid(2, 5), {std::move(row)}}));
  };
  CHECK_FALSE(rows({"dev", sched::Pid(2, 40), 1}));
  CHECK(rows({"", sched::Pid(2, 40), 1}) == WireError::bad_value);
  CHECK(rows({"\xff\xfe", sched::Pid(2, 40), 1}) == WireError::bad_value);
  CHECK(rows({"dev", sched::Pid{}, 1}) == WireError::bad_value);
  // No such op; a flag that is neither 0 nor 1; a count beyond the input.
  auto p = payload_of(registry, *sched::make_message<ClusterClients>(ClusterClients{ClusterRoutes::Op::add, sched::Pid(2, 5), {}}));
  std::string bad_op = p.bytes;
  bad_op[0] = 3;
  CHECK(registry.decode(p.id, p.version, bad_op, p.bodies).error() == WireError::bad_value);
  std::string many = p.bytes;
  many[many.size() - 1] = 9;  // nine rows, none there
  CHECK_FALSE(registry.decode(p.id, p.version, many, p.bodies).ok());
  auto t = payload_of(registry, *sched::make_message<core::Takeover>(core::Takeover{sched::Pid(2, 1), false, nullptr}));
  t.bytes[8] = 2;  // clean: neither 0 nor 1
  CHECK_FALSE(registry.decode(t.id, t.version, t.bytes, t.bodies).ok());
  // A part that refers to no body of its frame.
  auto part = payload_of(registry, *sched::make_message<core::HandoverPart>(
                                       core::HandoverPart{mqtt::SharedBytes::copy_of(std::string_view("x")), true, false}));
  CHECK(registry.decode(part.id, part.version, part.bytes, {}).error() == WireError::bad_body_ref);
}

TEST_CASE("session move: a malformed or cut state is never adopted") {
  std::vector<std::string> parts = core::encode_session_state(test::sample_session_state(), 64);
  REQUIRE(parts.size() > 1);
  std::vector<std::string> missing(parts.begin(), parts.end() - 1);
  CHECK_FALSE(core::decode_session_state(missing));
  std::vector<std::string> garbled = parts;
  garbled[0][0] = static_cast<char>(garbled[0][0] ^ 0x5A);
  CHECK_FALSE(core::decode_session_state(garbled));
  CHECK(core::decode_session_state(parts));
}

TEST_CASE("cluster directory: a client id is found on the node of its latest claim, rows go with their node") {
  sched::Runtime runtime;
  ClusterDirectory d(runtime);
  CHECK_FALSE(d.find_remote("dev"));
  d.remove(9, ClientRow{"dev", sched::Pid(9, 1), 0});  // a node with no rows: nothing
  CHECK(d.size() == 0);
  d.add(2, ClientRow{"dev", sched::Pid(2, 40), 100});
  d.add(3, ClientRow{"dev", sched::Pid(3, 41), 200});
  CHECK(d.find_remote("dev") == sched::Pid(3, 41));
  CHECK(d.find_remote("dev", sched::Pid(3, 41)) == sched::Pid(2, 40));  // the latest but one
  CHECK(d.find_remote("dev", sched::Pid(2, 40)) == sched::Pid(3, 41));
  d.remove(3, ClientRow{"dev", sched::Pid(3, 99), 0});  // another session of node 3 let it go: not this one
  CHECK(d.find_remote("dev") == sched::Pid(3, 41));
  d.remove(3, ClientRow{"dev", sched::Pid(3, 41), 0});
  CHECK(d.find_remote("dev") == sched::Pid(2, 40));
  CHECK_FALSE(d.find_remote("dev", sched::Pid(2, 40)));
  d.add(2, ClientRow{"dev", sched::Pid(2, 50), 300});  // a node holds a client id once
  CHECK(d.find_remote("dev") == sched::Pid(2, 50));
  d.reset_node(2, {ClientRow{"other", sched::Pid(2, 60), 1}});
  CHECK_FALSE(d.find_remote("dev"));
  CHECK(d.find_remote("other") == sched::Pid(2, 60));
  d.drop_node(2);
  CHECK(d.size() == 0);
  // Many ids (the table grows), a node's rows replaced, an id on two nodes counted once.
  for (int i = 0; i < 3000; ++i) {
    d.add(2, ClientRow{"id" + std::to_string(i), sched::Pid(2, 1000 + static_cast<std::uint64_t>(i)), 5});
  }
  d.add(4, ClientRow{"id7", sched::Pid(4, 7), 9});
  CHECK(d.size() == 3000);
  CHECK(d.find_remote("id7") == sched::Pid(4, 7));
  CHECK(d.find_remote("id2999") == sched::Pid(2, 3999));
  d.reset_node(2, {ClientRow{"id7", sched::Pid(2, 77), 10}, ClientRow{"x", sched::Pid(2, 78), 1},
                   ClientRow{"x", sched::Pid(2, 79), 2}});  // a node holds an id once: the last row
  CHECK(d.size() == 2);
  CHECK(d.find_remote("id7") == sched::Pid(2, 77));
  CHECK(d.find_remote("id7", sched::Pid(2, 77)) == sched::Pid(4, 7));
  CHECK(d.find_remote("x") == sched::Pid(2, 79));
  CHECK_FALSE(d.find_remote("id8"));
  d.drop_node(4);
  CHECK(d.size() == 2);
  d.drop_node(2);
  CHECK(d.size() == 0);
  CHECK_FALSE(d.find_remote("id7"));
  // The later claim wins; in the same millisecond, the higher node id, alike everywhere.
  CHECK(earlier(ClientRow{"x", sched::Pid(3, 1), 5}, ClientRow{"x", sched::Pid(2, 1), 6}));
  CHECK(earlier(ClientRow{"x", sched::Pid(2, 1), 5}, ClientRow{"x", sched::Pid(3, 1), 5}));
  CHECK_FALSE(earlier(ClientRow{"x", sched::Pid(3, 1), 5}, ClientRow{"x", sched::Pid(2, 1), 5}));
}

TEST_CASE("packed claim: the session's serial and the claim time come back whole, the node from the table") {
  const std::uint64_t serial = sched::Pid::make_serial(0xAB, 0xFFFF, 0xFFFFFF);  // every serial bit used
  for (std::uint64_t ms : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1'796'000'000'123},
                           (std::uint64_t{1} << 48) - 1}) {
    CAPTURE(ms);
    PackedClaim c(sched::Pid(7, serial), ms);
    CHECK(c.session(7) == sched::Pid(7, serial));
    CHECK(c.claimed_ms() == ms);
    PackedClaim small(sched::Pid(7, 5), ms);
    CHECK(small.session(9) == sched::Pid(9, 5));
    CHECK(small.claimed_ms() == ms);
  }
  CHECK(PackedClaim(sched::Pid(1, 5), std::uint64_t{1} << 50).claimed_ms() == (std::uint64_t{1} << 48) - 1);  // capped
}
