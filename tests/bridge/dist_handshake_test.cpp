#include "bridge/dist/handshake.hpp"

#include <doctest/doctest.h>

#include <cstring>

#include "bridge/dist/codec.hpp"
#include "bridge/dist/wire.hpp"

namespace actormq::dist {

namespace {

HandshakeConfig config(std::string name, std::uint16_t id, std::string cookie = "the-cookie") {
  HandshakeConfig c;
  c.self = NodeInfo{std::move(name), id, 1000u + id};
  c.cookie = std::move(cookie);
  return c;
}

// Frames as written -> bodies as a node link reads them, with the
// handshake's maximum frame size.
std::vector<std::string> bodies_of(const std::vector<std::string>& frames) {
  FrameReader reader(handshake_max_frame);
  std::vector<std::string> out;
  for (const std::string& f : frames) {
    reader.feed(f);
    auto body = reader.next();
    REQUIRE(body.ok());
    REQUIRE(body->has_value());
    out.emplace_back(**body);
  }
  CHECK(reader.buffered() == 0);
  return out;
}

using Tamper = std::function<void(std::string& body)>;

struct Run {
  std::optional<Outcome> initiator;
  std::optional<Outcome> acceptor;
  std::vector<std::string> to_acceptor;   ///< bodies the initiator sent
  std::vector<std::string> to_initiator;  ///< bodies the acceptor sent
};

template <class Side>
std::vector<std::string> feed(Side& side, std::vector<std::string> bodies, std::optional<Outcome>& outcome,
                              const Tamper& tamper) {
  std::vector<std::string> replies;
  for (std::string& body : bodies) {
    if (tamper) {
      tamper(body);
    }
    Step step = side.on_frame(body);
    replies.insert(replies.end(), step.send.begin(), step.send.end());
    if (step.outcome) {
      REQUIRE_FALSE(outcome);
      outcome = std::move(step.outcome);
    }
  }
  return replies;
}

// Carries frames between the two until neither has anything to send.
Run run(Initiator& i, Acceptor& a, const Tamper& to_initiator = {}, const Tamper& to_acceptor = {}) {
  Run r;
  std::vector<std::string> pending = i.start().send;
  for (int round = 0; round < 6 && !pending.empty(); ++round) {
    auto bodies = bodies_of(pending);
    r.to_acceptor.insert(r.to_acceptor.end(), bodies.begin(), bodies.end());
    auto back = bodies_of(feed(a, bodies, r.acceptor, to_acceptor));
    r.to_initiator.insert(r.to_initiator.end(), back.begin(), back.end());
    pending = feed(i, back, r.initiator, to_initiator);
  }
  CHECK(pending.empty());
  return r;
}

const Established& established(const std::optional<Outcome>& o) {
  REQUIRE(o);
  REQUIRE(std::holds_alternative<Established>(*o));
  return std::get<Established>(*o);
}

const Refused& refused(const std::optional<Outcome>& o) {
  REQUIRE(o);
  REQUIRE(std::holds_alternative<Refused>(*o));
  return std::get<Refused>(*o);
}

bool is_refuse(std::string_view body) {
  auto kind = frame_kind(body);
  return kind.ok() && *kind == FrameKind::refuse;
}

// A RandomFill that writes `byte` everywhere: deterministic challenges.
RandomFill constant(std::uint8_t byte) {
  return [byte](std::span<std::uint8_t> out) { std::memset(out.data(), byte, out.size()); };
}

}  // namespace

TEST_CASE("two nodes with the same cookie establish a link, whichever connects") {
  for (bool n1_connects : {true, false}) {
    CAPTURE(n1_connects);
    HandshakeConfig c1 = config("n1", 1);
    HandshakeConfig c2 = config("n2@host", 2);
    c1.capabilities = 0b0111;
    c2.capabilities = 0b1101;
    Initiator i(n1_connects ? c1 : c2);
    Acceptor a(n1_connects ? c2 : c1);
    Run r = run(i, a);
    const Established& ei = established(r.initiator);
    const Established& ea = established(r.acceptor);
    CHECK(ei.peer == (n1_connects ? c2 : c1).self);
    CHECK(ea.peer == (n1_connects ? c1 : c2).self);
    CHECK(ei.version == protocol_max);
    CHECK(ea.version == protocol_max);
    CHECK(ei.capabilities == 0b0101);
    CHECK(ea.capabilities == 0b0101);
    CHECK(i.done());
    CHECK(a.done());
    CHECK(r.to_acceptor.size() == 2);  // hello, reply
    CHECK(r.to_initiator.size() == 2);  // challenge, ack
  }
}

TEST_CASE("the highest version both speak is chosen, none in common is refused on both sides, with both ranges") {
  HandshakeConfig c1 = config("n1", 1);
  HandshakeConfig c2 = config("n2", 2);
  c1.min_version = 1;
  c1.max_version = 3;
  c2.min_version = 2;
  c2.max_version = 5;
  {
    Initiator i(c1);
    Acceptor a(c2);
    Run r = run(i, a);
    CHECK(established(r.initiator).version == 3);
    CHECK(established(r.acceptor).version == 3);
  }
  c2.min_version = 4;
  Initiator i(c1);
  Acceptor a(c2);
  Run r = run(i, a);
  const Refused& ra = refused(r.acceptor);
  CHECK(ra.reason == RefuseReason::version_mismatch);
  CHECK_FALSE(ra.by_peer);
  CHECK(ra.detail == "the peer n1 speaks versions 1-3, this node 4-5");
  const Refused& ri = refused(r.initiator);
  CHECK(ri.reason == RefuseReason::version_mismatch);
  CHECK(ri.by_peer);
  CHECK(ri.detail == "refused by the peer: no common protocol version (it speaks versions 4-5)");
}

TEST_CASE("a wrong cookie is refused on both sides, and the refusal says nothing of the cookie") {
  std::vector<std::string> refusals;
  for (std::string wrong : {"the-cookiE", "something else entirely"}) {
    Initiator i(config("n1", 1, wrong));
    Acceptor a(config("n2", 2));
    Run r = run(i, a);
    const Refused& ra = refused(r.acceptor);
    CHECK(ra.reason == RefuseReason::not_allowed);
    CHECK_FALSE(ra.by_peer);
    const Refused& ri = refused(r.initiator);
    CHECK(ri.reason == RefuseReason::not_allowed);
    CHECK(ri.by_peer);
    for (const std::string& detail : {ra.detail, ri.detail}) {
      CHECK(detail.find("the-cookie") == std::string::npos);
      CHECK(detail.find(wrong) == std::string::npos);
    }
    for (const std::string& body : r.to_initiator) {
      CHECK(body.find("the-cookie") == std::string::npos);
    }
    for (const std::string& body : r.to_acceptor) {
      CHECK(body.find(wrong) == std::string::npos);
    }
    REQUIRE(is_refuse(r.to_initiator.back()));
    refusals.push_back(r.to_initiator.back());
  }
  // Whatever was wrong, the refusal is the same bytes.
  CHECK(refusals[0] == refusals[1]);
}

TEST_CASE("the initiator refuses an acceptor that cannot prove the cookie") {
  Initiator i(config("n1", 1));
  Acceptor a(config("n2", 2));
  Run r = run(i, a, [](std::string& body) {
    if (frame_kind(body).value() == FrameKind::ack) {
      body.back() = static_cast<char>(body.back() ^ 1);
    }
  });
  CHECK(std::holds_alternative<Established>(*r.acceptor));
  const Refused& ri = refused(r.initiator);
  CHECK(ri.reason == RefuseReason::not_allowed);
  CHECK_FALSE(ri.by_peer);
  CHECK(ri.detail == "the peer did not prove it holds the cookie");
}

TEST_CASE("a changed byte of what a side announced fails the proof") {
  SUBCASE("the acceptor's incarnation, on its way to the initiator") {
    Initiator i(config("n1", 1));
    Acceptor a(config("n2", 2));
    Run r = run(i, a, [](std::string& body) {
      if (frame_kind(body).value() == FrameKind::challenge) {
        body[body.size() - challenge_size - 1] ^= 0x10;
      }
    });
    CHECK(refused(r.acceptor).reason == RefuseReason::not_allowed);
    CHECK(refused(r.initiator).reason == RefuseReason::not_allowed);
  }
  SUBCASE("the initiator's capabilities, on their way to the acceptor") {
    Initiator i(config("n1", 1));
    Acceptor a(config("n2", 2));
    Run r = run(i, a, {}, [](std::string& body) {
      if (frame_kind(body).value() == FrameKind::hello) {
        body[1 + 4 + 4 + 7] ^= 0x01;  // kind, magic, versions, last capability byte
      }
    });
    CHECK(refused(r.acceptor).reason == RefuseReason::not_allowed);
  }
}

TEST_CASE("a reply replayed from an earlier handshake is refused") {
  Initiator i1(config("n1", 1));
  Acceptor a1(config("n2", 2));
  Run first = run(i1, a1);
  established(first.acceptor);
  REQUIRE(first.to_acceptor.size() == 2);
  Acceptor a2(config("n2", 2));
  std::optional<Outcome> outcome;
  auto challenge = feed(a2, {first.to_acceptor[0]}, outcome, {});
  REQUIRE(challenge.size() == 1);
  CHECK_FALSE(outcome);
  auto refusal = feed(a2, {first.to_acceptor[1]}, outcome, {});
  CHECK(refused(outcome).reason == RefuseReason::not_allowed);
  REQUIRE(refusal.size() == 1);
  CHECK(is_refuse(bodies_of(refusal)[0]));
}

TEST_CASE("a challenge and acknowledgement replayed from an earlier handshake are refused") {
  Initiator i1(config("n1", 1));
  Acceptor a1(config("n2", 2));
  Run first = run(i1, a1);
  established(first.initiator);
  Initiator i2(config("n1", 1));
  (void)i2.start();
  std::optional<Outcome> outcome;
  auto reply = feed(i2, {first.to_initiator[0]}, outcome, {});
  REQUIRE(reply.size() == 1);
  CHECK(bodies_of(reply)[0] != first.to_acceptor[1]);  // a fresh challenge of its own
  (void)feed(i2, {first.to_initiator[1]}, outcome, {});
  CHECK(refused(outcome).reason == RefuseReason::not_allowed);
}

TEST_CASE("the acceptor gives no proof over its own challenge echoed back") {
  HandshakeConfig ci = config("n1", 1);
  HandshakeConfig ca = config("n2", 2);
  ci.random = constant(0xAB);
  ca.random = constant(0xAB);
  Initiator i(ci);
  Acceptor a(ca);
  Run r = run(i, a);
  CHECK(refused(r.acceptor).reason == RefuseReason::not_allowed);
  ca.random = constant(0xCD);
  Initiator i2(ci);
  Acceptor a2(ca);
  established(run(i2, a2).acceptor);
}

TEST_CASE("garbage, truncated and out-of-order frames end the handshake with a protocol error") {
  Initiator i1(config("n1", 1));
  Acceptor a1(config("n2", 2));
  Run good = run(i1, a1);
  REQUIRE(good.to_acceptor.size() == 2);
  const std::string& hello = good.to_acceptor[0];
  const std::string& reply = good.to_acceptor[1];
  const std::string& challenge = good.to_initiator[0];
  const std::string& ack = good.to_initiator[1];

  auto acceptor_after = [&](std::vector<std::string> bodies) {
    Acceptor a(config("n2", 2));
    std::optional<Outcome> outcome;
    auto sent = feed(a, std::move(bodies), outcome, {});
    REQUIRE(outcome);
    CHECK(is_refuse(bodies_of(sent).back()));
    CHECK(a.on_frame(hello).send.empty());  // over: nothing more
    return refused(outcome).reason;
  };
  auto initiator_after = [&](std::vector<std::string> bodies) {
    Initiator i(config("n1", 1));
    (void)i.start();
    std::optional<Outcome> outcome;
    auto sent = feed(i, std::move(bodies), outcome, {});
    REQUIRE(outcome);
    CHECK(is_refuse(bodies_of(sent).back()));
    return refused(outcome).reason;
  };
  for (std::size_t cut = 0; cut < hello.size(); ++cut) {
    CAPTURE(cut);
    CHECK(acceptor_after({hello.substr(0, cut)}) == RefuseReason::protocol_error);
  }
  for (std::size_t cut = 0; cut < reply.size(); ++cut) {
    CAPTURE(cut);
    CHECK(acceptor_after({hello, reply.substr(0, cut)}) == RefuseReason::protocol_error);
  }
  for (std::size_t cut = 0; cut < challenge.size(); ++cut) {
    CAPTURE(cut);
    CHECK(initiator_after({challenge.substr(0, cut)}) == RefuseReason::protocol_error);
  }
  for (std::size_t cut = 0; cut < ack.size(); ++cut) {
    CAPTURE(cut);
    CHECK(initiator_after({challenge, ack.substr(0, cut)}) == RefuseReason::protocol_error);
  }
  CHECK(acceptor_after({hello + 'x'}) == RefuseReason::protocol_error);
  CHECK(acceptor_after({hello, reply + 'x'}) == RefuseReason::protocol_error);
  CHECK(initiator_after({challenge + 'x'}) == RefuseReason::protocol_error);
  CHECK(acceptor_after({"GET / HTTP/1.1\r\n"}) == RefuseReason::protocol_error);
  std::string not_ours = hello;
  not_ours[1] = 'X';  // the magic
  CHECK(acceptor_after({not_ours}) == RefuseReason::protocol_error);
  CHECK(acceptor_after({reply}) == RefuseReason::protocol_error);
  CHECK(acceptor_after({hello, hello}) == RefuseReason::protocol_error);
  CHECK(initiator_after({ack}) == RefuseReason::protocol_error);
  CHECK(initiator_after({challenge, challenge}) == RefuseReason::protocol_error);
  CHECK(initiator_after({std::string()}) == RefuseReason::protocol_error);  // a tick
  CHECK(initiator_after({std::string("\x10", 1)}) == RefuseReason::protocol_error);  // data
}

TEST_CASE("a peer with this node's name or id, or a bad name, is refused") {
  {
    Initiator i(config("n1", 1));
    Acceptor a(config("n2", 1));
    Run r = run(i, a);
    CHECK(refused(r.acceptor).reason == RefuseReason::id_conflict);
    CHECK(refused(r.initiator).reason == RefuseReason::id_conflict);
  }
  {
    Initiator i(config("n1", 1));
    Acceptor a(config("n1", 2));
    CHECK(refused(run(i, a).acceptor).reason == RefuseReason::id_conflict);
  }
  // A hello naming "bad name" (a space), written by hand.
  BodyTable none;
  Encoder out(none);
  out.u8(static_cast<std::uint8_t>(FrameKind::hello));
  out.raw("AMQD");
  out.u16(1);
  out.u16(1);
  out.u64(0);
  out.str("bad name", 255);
  out.u16(9);
  out.u32(1);
  Acceptor a(config("n2", 2));
  Step step = a.on_frame(out.take());
  REQUIRE(step.outcome);
  CHECK(std::get<Refused>(*step.outcome).reason == RefuseReason::bad_name);
}

TEST_CASE("a required capability the peer lacks is refused") {
  HandshakeConfig ci = config("n1", 1);
  HandshakeConfig ca = config("n2", 2);
  ci.capabilities = 0b01;
  ca.capabilities = 0b11;
  ca.required_capabilities = 0b10;
  Initiator i(ci);
  Acceptor a(ca);
  Run r = run(i, a);
  CHECK(refused(r.acceptor).reason == RefuseReason::capabilities);
  CHECK(refused(r.initiator).reason == RefuseReason::capabilities);
  ca.required_capabilities = 0;
  ci.required_capabilities = 0b10;
  Initiator i2(ci);
  Acceptor a2(ca);
  Run r2 = run(i2, a2);
  CHECK(refused(r2.initiator).reason == RefuseReason::capabilities);
  CHECK_FALSE(refused(r2.initiator).by_peer);
}

TEST_CASE("simultaneous connects: the lower name's outgoing link is kept, on both nodes") {
  CHECK(outgoing_wins("n1", "n2"));
  CHECK_FALSE(outgoing_wins("n2", "n1"));
  CHECK(outgoing_wins("a", "ab"));
  CHECK_FALSE(outgoing_wins("b", "ab"));
  CHECK(outgoing_wins("N9", "n1"));  // bytewise: 'N' < 'n'
  for (auto [x, y] : {std::pair("n1", "n2"), std::pair("node-b", "node-a")}) {
    CHECK(outgoing_wins(x, y) != outgoing_wins(y, x));
  }
  // n1 and n2 connect to each other at once; each acceptor sees its own
  // outgoing handshake pending and applies the rule.
  auto admit_as = [](std::string self) {
    return [self](const NodeInfo& peer) -> std::optional<RefuseReason> {
      if (outgoing_wins(self, peer.name)) {
        return RefuseReason::duplicate;
      }
      return std::nullopt;
    };
  };
  HandshakeConfig c1 = config("n1", 1);
  HandshakeConfig c2 = config("n2", 2);
  c1.admit = admit_as("n1");
  c2.admit = admit_as("n2");
  Initiator from1(c1);
  Acceptor at2(c2);
  Initiator from2(c2);
  Acceptor at1(c1);
  Run one_to_two = run(from1, at2);
  Run two_to_one = run(from2, at1);
  established(one_to_two.initiator);
  established(one_to_two.acceptor);
  CHECK(refused(two_to_one.acceptor).reason == RefuseReason::duplicate);
  CHECK(refused(two_to_one.initiator).reason == RefuseReason::duplicate);
  CHECK(refused(two_to_one.initiator).by_peer);
}

TEST_CASE("configuration faults throw, every handshake frame fits the handshake maximum") {
  CHECK_THROWS_AS(Initiator{config("n1", 1, "")}, std::invalid_argument);
  CHECK_THROWS_AS(Acceptor{config("n 1", 1)}, std::invalid_argument);
  CHECK_THROWS_AS(Acceptor{config(std::string(256, 'n'), 1)}, std::invalid_argument);
  HandshakeConfig bad_range = config("n1", 1);
  bad_range.min_version = 2;
  bad_range.max_version = 1;
  CHECK_THROWS_AS(Initiator{bad_range}, std::invalid_argument);

  CHECK(valid_node_name("actormq@host-1.example_2"));
  CHECK_FALSE(valid_node_name(""));
  CHECK_FALSE(valid_node_name("a/b"));
  CHECK_FALSE(valid_node_name("caf\xc3\xa9"));

  Initiator i(config(std::string(255, 'i'), 1));
  Acceptor a(config(std::string(255, 'a'), 2));
  Run r = run(i, a);  // bodies_of() reads with handshake_max_frame
  established(r.initiator);
  established(r.acceptor);
}

TEST_CASE("incarnations are random and never 0") {
  int calls = 0;
  RandomFill zeros_then_ones = [&calls](std::span<std::uint8_t> out) {
    std::memset(out.data(), calls++ == 0 ? 0 : 1, out.size());
  };
  CHECK(new_incarnation(zeros_then_ones) == 0x01010101u);
  CHECK(calls == 2);
  CHECK(new_incarnation() != 0);
}

}  // namespace actormq::dist
