// Node-link data, gossip and names frames (bridge/dist/wire.cpp, gossip.cpp,
// the runtime's and the cluster broker's message types,
// names_frame.cpp, global_names.cpp): the input is the byte stream
// of a link, cut into reads (fuzz_util.hpp's Chunks; flag bit 0 sets a small
// maximum frame size), split by a FrameReader and each data frame decoded
// with those types. A frame that decodes re-encodes, one entry per
// delivery, to a frame that decodes without refusals to the same number of
// deliveries, and re-encoding that gives the same bytes again. A names frame
// that decodes re-encodes to its bytes and is applied to a table of global
// names that holds names of its own.

#include "bridge/cluster/cluster_proto_v1.hpp"
#include "bridge/dist/global_names.hpp"
#include "bridge/dist/gossip.hpp"
#include "bridge/dist/names_frame.hpp"
#include "bridge/dist/runtime_proto_v1.hpp"
#include "bridge/dist/wire.hpp"
#include "fuzz_util.hpp"
#include "tests/bridge/dist_samples.hpp"

using namespace actormq;
using namespace actormq::dist;

namespace {

// The runtime's types and the cluster broker's.
const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    add_runtime_types_v1(reg);
    cluster::add_cluster_types_v1(reg);
    return reg;
  }();
  return r;
}

std::string reencode(const DecodedFrame& frame) {
  FrameBuilder builder(registry());
  for (const Delivery& d : frame.deliveries) {
    FUZZ_CHECK(builder.add(d.to, *d.message).ok());
  }
  return builder.finish().flatten();
}

void check_gossip(std::string_view body) {
  auto decoded = decode_gossip(body);
  if (decoded) {
    FUZZ_CHECK(encode_gossip(*decoded) == body);  // one layout, no slack
  }
}

void check_names(std::string_view body) {
  auto decoded = decode_names(body);
  if (!decoded) {
    return;
  }
  FUZZ_CHECK(encode_names(*decoded) == body);
  GlobalNames names(NodeInfo{"self", 1, 7});
  FUZZ_CHECK(names.claim("a", sched::Pid(1, 3), 5).has_value());
  FUZZ_CHECK(names.claim("b", sched::Pid(1, 4), 9).has_value());
  auto applied = names.apply(NodeInfo{"peer", 2, 9}, *decoded);
  if (applied) {
    for (const GlobalNames::Lost& lost : applied->lost) {
      FUZZ_CHECK(lost.loser.node() == 1 && lost.winner.node() == 2);
      FUZZ_CHECK(names.whereis(lost.name) == lost.winner);
    }
  }
  for (const auto& [name, pid] : names.all()) {
    FUZZ_CHECK(pid.node() == 1 || pid.node() == 2);
  }
}

void check_frame(std::string_view body) {
  auto kind = frame_kind(body);
  if (kind && *kind == FrameKind::gossip) {
    check_gossip(body);
    return;
  }
  if (kind && *kind == FrameKind::names) {
    check_names(body);
    return;
  }
  if (!kind || *kind != FrameKind::data) {
    return;
  }
  auto decoded = decode_frame(body, registry());
  if (!decoded) {
    return;
  }
  for (const Refusal& r : decoded->refused) {
    FUZZ_CHECK(!describe(r, registry()).empty());
  }
  std::string once = reencode(*decoded);
  auto again = decode_frame(std::string_view(once).substr(frame_prefix_size), registry());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->refused.empty());
  FUZZ_CHECK(again->deliveries.size() == decoded->deliveries.size());
  FUZZ_CHECK(reencode(*again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Chunks chunks(data, size);
  FrameReader reader((chunks.flags() & 1) ? 256 : 1 << 16);
  for (auto chunk = chunks.next(); !chunk.empty(); chunk = chunks.next()) {
    reader.feed(fuzz::as_text(chunk.data(), chunk.size()));
    for (;;) {
      auto body = reader.next();
      if (!body || !body->has_value()) {
        break;
      }
      check_frame(**body);
    }
  }
  return 0;
}
