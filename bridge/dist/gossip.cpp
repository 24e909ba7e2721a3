#include "bridge/dist/gossip.hpp"

#include <algorithm>

#include "bridge/dist/codec.hpp"
#include "bridge/dist/wire.hpp"

namespace actormq::dist {

std::string encode_gossip(const Gossip& gossip) {
  BodyTable none;
  Encoder out(none);
  out.u8(static_cast<std::uint8_t>(FrameKind::gossip));
  out.u16(gossip.port);
  std::size_t n = std::min(gossip.members.size(), max_members);
  out.u16(static_cast<std::uint16_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const Member& m = gossip.members[i];
    out.str(m.node.name, static_cast<std::uint32_t>(max_node_name));
    out.u16(m.node.id);
    out.u32(m.node.incarnation);
    out.str(m.host, max_host);
    out.u16(m.port);
  }
  return out.take();
}

Result<Gossip> decode_gossip(std::string_view body) {
  Decoder in(body);
  if (in.u8() != static_cast<std::uint8_t>(FrameKind::gossip)) {
    return in.ok() ? WireError::unknown_frame_kind : WireError::truncated;
  }
  Gossip g;
  g.port = in.u16();
  std::uint16_t n = in.u16();
  // A member takes at least 4 + 2 + 4 + 4 + 2 bytes.
  if (n > max_members) {
    in.fail(WireError::bad_value);
  } else if (in.fits(n, 16)) {
    g.members.reserve(n);
  }
  for (std::uint16_t i = 0; i < n && in.ok(); ++i) {
    Member m;
    m.node.name = std::string(in.str(static_cast<std::uint32_t>(max_node_name)));
    m.node.id = in.u16();
    m.node.incarnation = in.u32();
    m.host = std::string(in.str(max_host));
    m.port = in.u16();
    if (in.ok() && (!valid_node_name(m.node.name) || m.host.empty() || m.port == 0)) {
      in.fail(WireError::bad_value);
    }
    g.members.push_back(std::move(m));
  }
  if (!in.ok()) {
    return *in.error();
  }
  if (!in.at_end()) {
    return WireError::trailing_bytes;
  }
  return g;
}

}  // namespace actormq::dist
