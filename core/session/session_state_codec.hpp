#pragma once
// SessionState as bytes: how a session's state leaves this process — to the
// node that takes the session over, or to the process that continues it. The
// state travels whole: subscriptions, the in-flight window both ways, the
// queue with every message's topic, payload, properties, publisher and
// arrival time, and a will still due. What ties it to this process stays
// behind: an entry's key in this node's store (store_seq), its stored body,
// its durability hold and the publisher's pid (no-local was decided before
// the message was queued).
//
// A large queue is cut into parts of about `part_bytes`, each a whole number
// of records, so that a move can go out as several frames and interleave with
// other traffic; the parts are decoded in order, and the last one carries the
// counts that prove nothing was lost between them. The layouts of messages,
// entries, wills and subscriptions are persist/'s (persist/fields.hpp).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/session/session_state.hpp"

namespace actormq::persist {
class FieldReader;
}  // namespace actormq::persist

namespace actormq::core {

inline constexpr std::size_t session_state_part_bytes = 256 * 1024;

/// One or more parts; the first holds the header, subscriptions and the
/// in-flight window, the queue follows, the last part ends with the counts.
[[nodiscard]] std::vector<std::string> encode_session_state(const SessionState& state,
                                                            std::size_t part_bytes = session_state_part_bytes);

/// Reads the parts of encode_session_state, in order. A malformed part fails
/// the whole state: nothing half-read is ever adopted.
class SessionStateDecoder {
 public:
  /// Takes the next part; false when it (or an earlier one) is malformed.
  bool add(std::string_view part);
  /// The state once the last part is in; a Failure naming what is wrong
  /// otherwise (a malformed part, a part missing).
  [[nodiscard]] Result<SessionState> finish() &&;

 private:
  bool fail(std::string why);
  bool read_record(persist::FieldReader& in);
  bool read_delivery(persist::FieldReader& in, Deliver& d, bool& released, std::uint64_t& seq);

  SessionState state_;
  std::string error_;
  bool header_ = false;
  bool ended_ = false;
  std::size_t queued_ = 0;
};

/// The whole state from its parts (a test's and a fuzzer's shorthand).
[[nodiscard]] Result<SessionState> decode_session_state(const std::vector<std::string>& parts);

}  // namespace actormq::core
