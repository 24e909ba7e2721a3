#include "bridge/dist/runtime_proto_v1.hpp"

#include "sched/signals.hpp"

namespace actormq::dist {

using sched::DownMsg;
using sched::ExitReason;
namespace signal = sched::signal;

void put_reason(Encoder& out, const ExitReason& reason) {
  out.u8(static_cast<std::uint8_t>(reason.kind));
  out.str(std::string_view(reason.detail).substr(0, max_reason_detail), max_reason_detail);
}

ExitReason get_reason(Decoder& in) {
  std::uint8_t kind = in.u8();
  std::string_view detail = in.str(max_reason_detail);
  if (kind > static_cast<std::uint8_t>(ExitReason::Kind::noconnection)) {
    in.fail(WireError::bad_value);
    return {};
  }
  return ExitReason{static_cast<ExitReason::Kind>(kind), std::string(detail)};
}

void add_runtime_types_v1(Registry& registry) {
  registry.add<signal::Link>(
      {.id = type_id::link, .name = "link", .signal = true},
      [](Encoder& out, const signal::Link& s) { out.pid(s.from); },
      [](Decoder& in, std::uint8_t) { return signal::Link{in.pid()}; });
  registry.add<signal::Unlink>(
      {.id = type_id::unlink, .name = "unlink", .signal = true},
      [](Encoder& out, const signal::Unlink& s) { out.pid(s.from); },
      [](Decoder& in, std::uint8_t) { return signal::Unlink{in.pid()}; });
  registry.add<signal::Exit>(
      {.id = type_id::exit, .name = "exit", .signal = true},
      [](Encoder& out, const signal::Exit& s) {
        out.pid(s.from);
        put_reason(out, s.reason);
        out.flag(s.linked);
      },
      [](Decoder& in, std::uint8_t) {
        sched::Pid from = in.pid();
        ExitReason reason = get_reason(in);
        bool linked = in.flag();
        return signal::Exit{from, std::move(reason), linked};
      });
  registry.add<signal::Monitor>(
      {.id = type_id::monitor, .name = "monitor", .signal = true},
      [](Encoder& out, const signal::Monitor& s) {
        out.pid(s.from);
        out.u64(s.ref);
      },
      [](Decoder& in, std::uint8_t) {
        sched::Pid from = in.pid();
        return signal::Monitor{from, in.u64()};
      });
  registry.add<signal::Demonitor>(
      {.id = type_id::demonitor, .name = "demonitor", .signal = true},
      [](Encoder& out, const signal::Demonitor& s) { out.u64(s.ref); },
      [](Decoder& in, std::uint8_t) { return signal::Demonitor{in.u64()}; });
  // DOWN is an ordinary message, as sched/process.cpp sends it: it queues
  // behind what the monitored process sent before it ended.
  registry.add<DownMsg>(
      {.id = type_id::down, .name = "down"},
      [](Encoder& out, const DownMsg& m) {
        out.u64(m.ref);
        out.pid(m.pid);
        put_reason(out, m.reason);
      },
      [](Decoder& in, std::uint8_t) {
        sched::MonitorRef ref = in.u64();
        sched::Pid pid = in.pid();
        return DownMsg{ref, pid, get_reason(in)};
      });
  registry.add<Blob>(
      {.id = type_id::blob, .name = "blob"},
      [](Encoder& out, const Blob& b) {
        out.u64(b.tag);
        out.body(b.body);
      },
      [](Decoder& in, std::uint8_t) {
        std::uint64_t tag = in.u64();
        return Blob{tag, in.body()};
      });
}

}  // namespace actormq::dist
