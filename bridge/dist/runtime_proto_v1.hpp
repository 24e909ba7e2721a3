#pragma once
// Version 1 of the runtime's own node-to-node messages (type ids 0x0001-0x00FF):
// what sched/ sends to a pid of another node through RemoteDelivery (the
// signals of sched/signals.hpp and DownMsg) and Blob, an opaque message.
//
// Layouts (codec.hpp primitives; pid = u64 of Pid::bits();
// reason = u8 ExitReason::Kind, str detail of at most max_reason_detail bytes):
//   0x0001 link       v1: pid from
//   0x0002 unlink     v1: pid from
//   0x0003 exit       v1: pid from, reason, u8 linked (0/1)
//   0x0004 monitor    v1: pid from, u64 ref
//   0x0005 demonitor  v1: u64 ref
//   0x0006 down       v1: u64 ref, pid pid, reason
//   0x0007 blob       v1: u64 tag, body
// Only add types and versions here; a new layout of a type is a new version
// read beside the old one (or a new file, runtime_proto_v2).

#include <cstdint>

#include "bridge/dist/registry.hpp"
#include "mqtt/bytes.hpp"
#include "sched/exit_reason.hpp"

namespace actormq::dist {

namespace type_id {
inline constexpr std::uint16_t link = 0x0001;
inline constexpr std::uint16_t unlink = 0x0002;
inline constexpr std::uint16_t exit = 0x0003;
inline constexpr std::uint16_t monitor = 0x0004;
inline constexpr std::uint16_t demonitor = 0x0005;
inline constexpr std::uint16_t down = 0x0006;
inline constexpr std::uint16_t blob = 0x0007;
}  // namespace type_id

/// An exit reason's detail is free text (an exception's what()); a longer one
/// is cut to this length when sent, so that no exit signal is refused for it.
inline constexpr std::uint32_t max_reason_detail = 4096;

/// An opaque message for processes that agree on what `tag` means (tools,
/// tests). Its body crosses a link once per frame however many pids of the
/// far node receive it.
struct Blob {
  std::uint64_t tag = 0;
  mqtt::SharedBytes body;
  friend bool operator==(const Blob&, const Blob&) = default;
};

/// Registers the types above on `registry`.
void add_runtime_types_v1(Registry& registry);

void put_reason(Encoder& out, const sched::ExitReason& reason);
[[nodiscard]] sched::ExitReason get_reason(Decoder& in);

}  // namespace actormq::dist
