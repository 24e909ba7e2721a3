// The node-link handshake (bridge/dist/handshake.cpp): the input is what the
// peer sends, cut into reads (fuzz_util.hpp's Chunks) and split into frames
// with the handshake's maximum. Flag bit 0: this side is the initiator (else
// the acceptor); bit 1: the acceptor's admit() turns the peer away. Names,
// cookie and challenges are fixed (dist_handshake_target.hpp) so seeds with
// the peer's real frames reach an established link. Invariants: every frame
// sent is whole, of a known kind and within the handshake maximum; once the
// outcome is given nothing more is sent; an established peer has a valid name
// that is not ours.

#include "bridge/dist/handshake.hpp"
#include "bridge/dist/wire.hpp"
#include "dist_handshake_target.hpp"
#include "fuzz_util.hpp"

using namespace actormq;
using namespace actormq::dist;

namespace {

void check_sent(const Step& step) {
  for (const std::string& frame : step.send) {
    FrameReader reader(handshake_max_frame);
    reader.feed(frame);
    auto body = reader.next();
    FUZZ_CHECK(body.ok() && body->has_value());
    FUZZ_CHECK(frame_kind(**body).ok());
    FUZZ_CHECK(reader.buffered() == 0);
  }
}

template <class Side>
void drive(Side& side, fuzz::Chunks& chunks, const NodeInfo& self) {
  FrameReader reader(handshake_max_frame);
  bool over = false;
  for (auto chunk = chunks.next(); !chunk.empty(); chunk = chunks.next()) {
    reader.feed(fuzz::as_text(chunk.data(), chunk.size()));
    for (;;) {
      auto body = reader.next();
      if (!body || !body->has_value()) {
        break;
      }
      Step step = side.on_frame(**body);
      check_sent(step);
      if (over) {
        FUZZ_CHECK(step.send.empty() && !step.outcome);
      }
      if (step.outcome) {
        over = true;
        FUZZ_CHECK(side.done());
        if (auto* ok = std::get_if<Established>(&*step.outcome)) {
          FUZZ_CHECK(valid_node_name(ok->peer.name));
          FUZZ_CHECK(ok->peer.name != self.name && ok->peer.id != self.id);
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Chunks chunks(data, size);
  bool initiator = chunks.flags() & 1;
  HandshakeConfig config = fuzz::dist_handshake_config(initiator);
  if (chunks.flags() & 2) {
    config.admit = [](const NodeInfo&) { return std::optional(RefuseReason::duplicate); };
  }
  NodeInfo self = config.self;
  if (initiator) {
    Initiator side(std::move(config));
    check_sent(side.start());
    drive(side, chunks, self);
  } else {
    Acceptor side(std::move(config));
    drive(side, chunks, self);
  }
  return 0;
}
