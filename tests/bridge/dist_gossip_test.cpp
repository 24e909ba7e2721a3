// Gossip frames: what each end of a node link says of its membership.
#include <doctest/doctest.h>

#include <string>

#include "bridge/dist/gossip.hpp"
#include "bridge/dist/wire.hpp"

using namespace actormq::dist;

namespace {
Gossip sample() {
  Gossip g;
  g.port = 4370;
  g.members.push_back(Member{NodeInfo{"n2", 2, 77}, "10.0.0.2", 4371});
  g.members.push_back(Member{NodeInfo{"n3@host", 3, 0xFFFFFFFF}, "::1", 65535});
  return g;
}
}  // namespace

TEST_CASE("gossip: a frame decodes to what was encoded, and is a gossip frame") {
  std::string body = encode_gossip(sample());
  CHECK(frame_kind(body).value() == FrameKind::gossip);
  auto back = decode_gossip(body);
  REQUIRE(back);
  CHECK(*back == sample());
  Gossip empty;
  auto none = decode_gossip(encode_gossip(empty));
  REQUIRE(none);
  CHECK(*none == empty);
}

TEST_CASE("gossip: every truncation and a trailing byte are refused") {
  std::string body = encode_gossip(sample());
  for (std::size_t n = 0; n < body.size(); ++n) {
    CHECK_FALSE(decode_gossip(body.substr(0, n)));
  }
  CHECK(decode_gossip(body + "x").error() == WireError::trailing_bytes);
}

TEST_CASE("gossip: members that cannot be nodes are refused") {
  auto refused = [](Member m) {
    Gossip g;
    g.members.push_back(std::move(m));
    return !decode_gossip(encode_gossip(g));
  };
  CHECK(refused(Member{NodeInfo{"bad name", 2, 1}, "h", 1}));
  CHECK(refused(Member{NodeInfo{"", 2, 1}, "h", 1}));
  CHECK(refused(Member{NodeInfo{"n2", 2, 1}, "", 1}));
  CHECK(refused(Member{NodeInfo{"n2", 2, 1}, "h", 0}));
  // A member count beyond the bytes that follow reserves nothing.
  std::string body = encode_gossip(Gossip{});
  body[3] = '\x10';  // count 4096, no members
  CHECK(decode_gossip(body).error() == WireError::truncated);
  body[3] = '\x11';
  body[4] = '\x00';
  CHECK_FALSE(decode_gossip(body));
}
