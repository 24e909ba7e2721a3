#pragma once
// The two sides of fuzz_dist_handshake and how make_seeds plays the other
// side: fixed names, cookie and challenges, so that a seed holding the peer's
// real frames (proofs included) replays to the end of the handshake.

#include <cstring>

#include "bridge/dist/handshake.hpp"

namespace actormq::fuzz {

inline dist::HandshakeConfig dist_handshake_config(bool initiator) {
  dist::HandshakeConfig c;
  c.self = initiator ? dist::NodeInfo{"fuzz-initiator", 1, 11} : dist::NodeInfo{"fuzz-acceptor", 2, 22};
  c.cookie = "fuzz-cookie";
  c.capabilities = 0b11;
  c.max_version = 2;
  std::uint8_t fill = initiator ? 0x1A : 0x2A;
  c.random = [fill](std::span<std::uint8_t> out) { std::memset(out.data(), fill, out.size()); };
  return c;
}

}  // namespace actormq::fuzz
