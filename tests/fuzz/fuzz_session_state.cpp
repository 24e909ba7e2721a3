// A session's state as it arrives from another process or node
// (core/session/session_state_codec.cpp): the input is cut into parts as
// fuzz_util.hpp's Chunks; every part sequence is either refused or gives a
// state that encodes, in parts of any size, to parts decoding to the same.

#include "core/session/session_state_codec.hpp"
#include "core/store/persistence.hpp"
#include "fuzz_util.hpp"

using namespace actormq::core;

namespace {

bool same_delivery(const Deliver& a, const Deliver& b) {
  if ((a.msg == nullptr) != (b.msg == nullptr) || (a.msg && !(to_stored(*a.msg) == to_stored(*b.msg)))) {
    return false;
  }
  return a.qos == b.qos && a.retain == b.retain && a.subscription_ids == b.subscription_ids &&
         a.shared_group == b.shared_group;
}

bool same(const SessionState& a, const SessionState& b) {
  if (a.last_packet_id != b.last_packet_id || a.inflight_seq != b.inflight_seq ||
      a.subscriptions.size() != b.subscriptions.size() || a.inflight.size() != b.inflight.size() ||
      a.queue.size() != b.queue.size() || a.awaiting_rel != b.awaiting_rel ||
      (a.will == nullptr) != (b.will == nullptr) || (a.will && !(*a.will == *b.will))) {
    return false;
  }
  for (const auto& [full, sub] : a.subscriptions) {
    auto it = b.subscriptions.find(full);
    if (it == b.subscriptions.end() ||
        it->second.info.max_qos != sub.info.max_qos || it->second.info.no_local != sub.info.no_local ||
        it->second.info.retain_as_published != sub.info.retain_as_published ||
        it->second.info.subscription_id != sub.info.subscription_id) {
      return false;
    }
  }
  for (const auto& [id, f] : a.inflight) {
    auto it = b.inflight.find(id);
    if (it == b.inflight.end() || it->second.seq != f.seq || it->second.released != f.released ||
        !same_delivery(f.delivery, it->second.delivery)) {
      return false;
    }
  }
  auto bi = b.queue.begin();
  for (const Deliver& d : a.queue) {
    if (!same_delivery(d, *bi++)) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  actormq::fuzz::Chunks chunks(data, size);
  SessionStateDecoder decoder;
  for (auto part = chunks.next(); !part.empty(); part = chunks.next()) {
    if (!decoder.add(actormq::fuzz::as_text(part.data(), part.size()))) {
      break;
    }
  }
  auto state = std::move(decoder).finish();
  if (!state) {
    FUZZ_CHECK(!state.error().text().empty());
    return 0;
  }
  std::size_t part_bytes = std::size_t{16} << chunks.flags();
  auto again = decode_session_state(encode_session_state(*state, part_bytes));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(same(*state, *again));
  return 0;
}
