#include "core/session/session_state_codec.hpp"

#include <algorithm>

#include "core/store/persistence.hpp"
#include "persist/fields.hpp"

namespace actormq::core {

namespace {

// A part: this format byte, then records, each a tag and its fields.
constexpr std::uint8_t format = 1;

enum Tag : std::uint8_t {
  header = 1,        // last packet id, in-flight sequence; first of all
  subscription = 2,  // persist's subscription fields
  inflight = 3,      // packet id, delivery
  queued = 4,        // delivery
  awaiting_rel = 5,  // an incoming QoS 2 packet id awaiting PUBREL
  end = 6,           // the counts of subscriptions, in-flight, queued, awaiting; last of all
  will = 7,          // persist's will fields; at most one
};

// A delivery: persist's entry fields (QoS, RETAIN, released, sequence,
// subscription identifiers), whether a message follows (a released QoS 2
// entry has none), the message's fields, the shared group.
void put_delivery(persist::FieldWriter& out, const Deliver& d, bool released, std::uint64_t seq) {
  persist::StoredEntry e = to_entry(d, 0);
  e.released = released;
  e.seq = seq;
  persist::put_entry_fields(out, e);
  out.flag(d.msg != nullptr);
  if (d.msg) {
    persist::put_message_fields(out, to_stored(*d.msg));
  }
  out.str(d.shared_group);
}

class PartWriter {
 public:
  explicit PartWriter(std::size_t part_bytes) : part_bytes_(part_bytes) { start(); }

  /// Starts a record, closing the current part first if it is full.
  persist::FieldWriter& record(Tag tag) {
    if (out_.size() >= part_bytes_) {
      parts_.push_back(out_.take());
      start();
    }
    out_.u8(tag);
    return out_;
  }
  std::vector<std::string> take() {
    parts_.push_back(out_.take());
    return std::move(parts_);
  }

 private:
  void start() {
    out_ = persist::FieldWriter{};
    out_.u8(format);
  }
  std::size_t part_bytes_;
  persist::FieldWriter out_;
  std::vector<std::string> parts_;
};

}  // namespace

std::vector<std::string> encode_session_state(const SessionState& state, std::size_t part_bytes) {
  PartWriter w(part_bytes);
  persist::FieldWriter& h = w.record(header);
  h.u16(state.last_packet_id);
  h.u64(state.inflight_seq);
  for (const auto& [full, sub] : state.subscriptions) {
    persist::put_subscription(w.record(subscription),
                              persist::StoredSubscription{full.str(), std::string(sub.filter(full)),
                                                          std::string(sub.group(full)), sub.info.max_qos,
                                                          sub.info.no_local, sub.info.retain_as_published,
                                                          sub.info.subscription_id});
  }
  for (const auto& [id, f] : state.inflight) {
    persist::FieldWriter& out = w.record(inflight);
    out.u16(id);
    put_delivery(out, f.delivery, f.released, f.seq);
  }
  for (const Deliver& d : state.queue) {
    put_delivery(w.record(queued), d, false, 0);
  }
  for (std::uint16_t id : state.awaiting_rel) {
    w.record(awaiting_rel).u16(id);
  }
  if (state.will) {
    persist::put_will(w.record(will), to_stored(*state.will, {}));
  }
  persist::FieldWriter& e = w.record(end);
  e.u32(static_cast<std::uint32_t>(state.subscriptions.size()));
  e.u32(static_cast<std::uint32_t>(state.inflight.size()));
  e.u32(static_cast<std::uint32_t>(state.queue.size()));
  e.u32(static_cast<std::uint32_t>(state.awaiting_rel.size()));
  return w.take();
}

bool SessionStateDecoder::fail(std::string why) {
  if (error_.empty()) {
    error_ = std::move(why);
  }
  return false;
}

bool SessionStateDecoder::add(std::string_view part) {
  if (!error_.empty()) {
    return false;
  }
  if (ended_) {
    return fail("a part after the last one");
  }
  persist::FieldReader in(part);
  if (in.u8() != format || in.done()) {
    return fail("a part of an unknown format, or empty");
  }
  while (!in.done()) {
    if (!read_record(in)) {
      return fail("a malformed record");
    }
  }
  return true;
}

bool SessionStateDecoder::read_delivery(persist::FieldReader& in, Deliver& d, bool& released, std::uint64_t& seq) {
  persist::StoredEntry e;
  if (!persist::get_entry_fields(in, e)) {
    return false;
  }
  if (in.flag()) {
    persist::StoredMessage m;
    if (!persist::get_message_fields(in, m)) {
      return false;
    }
    d.msg = from_stored(std::move(m), nullptr);
  }
  d.shared_group = std::string(in.str());
  d.qos = e.qos;
  d.retain = e.retain;
  d.subscription_ids = std::move(e.subscription_ids);
  released = e.released;
  seq = e.seq;
  return in.ok();
}

bool SessionStateDecoder::read_record(persist::FieldReader& in) {
  auto tag = in.u8();
  if (ended_ || header_ != (tag != header)) {
    return false;  // the header comes first and once; nothing follows the end
  }
  switch (tag) {
    case header:
      header_ = true;
      state_.last_packet_id = in.u16();
      state_.inflight_seq = in.u64();
      return in.ok();
    case subscription: {
      persist::StoredSubscription s;
      if (!persist::get_subscription(in, s) || s.full_filter.empty() || s.filter.empty()) {
        return false;
      }
      Subscription live = Subscription::of(
          s.full_filter, SubInfo{s.max_qos, s.no_local, s.retain_as_published, false, s.subscription_id});
      if (live.filter(s.full_filter) != s.filter || live.group(s.full_filter) != s.group) {
        return false;  // the parts must be the full filter's
      }
      return state_.subscriptions.emplace(std::move(s.full_filter), live).second;
    }
    case inflight: {
      std::uint16_t id = in.u16();
      Inflight f;
      if (!read_delivery(in, f.delivery, f.released, f.seq) || id == 0) {
        return false;
      }
      // Sent at QoS 1 or 2; a QoS 2 message whose PUBREC came has no message left.
      bool qos2 = f.delivery.qos == mqtt::QoS::exactly_once;
      if (f.delivery.qos == mqtt::QoS::at_most_once || (f.released && !qos2) ||
          (f.released == (f.delivery.msg != nullptr))) {
        return false;
      }
      return state_.inflight.emplace(id, std::move(f)).second;
    }
    case queued: {
      Deliver d;
      bool released = false;
      std::uint64_t seq = 0;
      if (!read_delivery(in, d, released, seq) || released || seq != 0 || !d.msg) {
        return false;
      }
      state_.queue.push_back(std::move(d));
      ++queued_;  // std::list::size is O(1), but counting keeps finish() obvious
      return true;
    }
    case awaiting_rel: {
      std::uint16_t id = in.u16();
      if (!in.ok() || id == 0) {
        return false;
      }
      state_.awaiting_rel.push_back(id);
      return true;
    }
    case will: {
      persist::StoredWill stored;
      if (state_.will || !persist::get_will(in, stored)) {
        return false;
      }
      state_.will = std::make_unique<mqtt::Will>(from_stored(std::move(stored)));
      return true;
    }
    case end: {
      std::uint32_t subs = in.u32();
      std::uint32_t flights = in.u32();
      std::uint32_t queue = in.u32();
      std::uint32_t awaiting = in.u32();
      ended_ = true;
      return in.ok() && subs == state_.subscriptions.size() && flights == state_.inflight.size() &&
             queue == queued_ && awaiting == state_.awaiting_rel.size();
    }
    default:
      return false;
  }
}

Result<SessionState> SessionStateDecoder::finish() && {
  if (error_.empty() && !ended_) {
    fail("the last part is missing");
  }
  if (error_.empty()) {
    std::vector<std::uint16_t> ids(state_.awaiting_rel.begin(), state_.awaiting_rel.end());
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
      fail("a packet id awaiting PUBREL twice");
    }
  }
  if (!error_.empty()) {
    return Failure{"session state: " + error_};
  }
  return std::move(state_);
}

Result<SessionState> decode_session_state(const std::vector<std::string>& parts) {
  SessionStateDecoder d;
  for (const std::string& part : parts) {
    if (!d.add(part)) {
      break;
    }
  }
  return std::move(d).finish();
}

}  // namespace actormq::core
