#pragma once
// Global names on the wire: each node tells its peers which global names its
// own processes hold (global_names.hpp). When a link comes up each end sends
// all of its claims (reset); after that, each change (claim, release) as it
// happens. A frame carries its sender's count of changes so far (version): a
// frame older than one already applied for the sender's incarnation is stale
// (it came on a link that another replaced) and is ignored.
//
// A names frame's body (wire.hpp's FrameKind::names):
//   u8  kind = names
//   u8  op: 0 reset (all the sender's claims), 1 claim, 2 release
//   u64 version
//   u32 entry count N (<= max_global_names), N x entry:
//       str name (1..max_global_name bytes)
//       u64 pid     the holder; 0 in a release
//       u64 at_ms   when it was registered (Unix ms); 0 in a release
// Strings: codec.hpp's (4-byte length). Every field is checked: a malformed
// names frame closes the link, as a malformed data frame does.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/dist/wire_error.hpp"
#include "sched/pid.hpp"

namespace actormq::dist {

/// The most global names one node's processes may hold.
inline constexpr std::uint32_t max_global_names = 65536;
inline constexpr std::uint32_t max_global_name = 255;

enum class NamesOp : std::uint8_t { reset = 0, claim = 1, release = 2 };

struct NameEntry {
  std::string name;
  sched::Pid pid;          ///< the null pid in a release
  std::uint64_t at_ms = 0;  ///< 0 in a release
  friend bool operator==(const NameEntry&, const NameEntry&) = default;
};

struct NamesFrame {
  NamesOp op = NamesOp::reset;
  std::uint64_t version = 0;
  std::vector<NameEntry> entries;
  friend bool operator==(const NamesFrame&, const NamesFrame&) = default;
};

/// The frame body (kind byte first); entries beyond max_global_names are left out.
[[nodiscard]] std::string encode_names(const NamesFrame& frame);
[[nodiscard]] Result<NamesFrame> decode_names(std::string_view body);

}  // namespace actormq::dist
