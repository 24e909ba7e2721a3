#pragma once
// Sample messages of every type of runtime_proto_v1, shared by the unit tests
// and tests/fuzz/make_seeds.cpp.

#include <string>
#include <vector>

#include "bridge/dist/runtime_proto_v1.hpp"
#include "sched/message.hpp"
#include "sched/signals.hpp"

namespace actormq::dist::test {

/// A registry of runtime_proto_v1's types, built once.
inline const Registry& runtime_types() {
  static const Registry r = [] {
    Registry reg;
    add_runtime_types_v1(reg);
    return reg;
  }();
  return r;
}

inline sched::Pid remote_pid(std::uint64_t serial) { return sched::Pid(2, serial); }
inline sched::Pid local_pid(std::uint64_t serial) { return sched::Pid(1, serial); }

/// One message of each runtime type, each exit reason kind, and reasons with
/// and without a detail.
inline std::vector<sched::MessagePtr> sample_messages() {
  using sched::ExitReason;
  namespace signal = sched::signal;
  std::vector<sched::MessagePtr> out;
  // Values built first: clang 14 (the fuzz build) has no parenthesized
  // aggregate initialisation.
  out.push_back(sched::make_signal<signal::Link>(signal::Link{remote_pid(7)}));
  out.push_back(sched::make_signal<signal::Unlink>(signal::Unlink{remote_pid(8)}));
  for (int kind = 0; kind <= static_cast<int>(ExitReason::Kind::noconnection); ++kind) {
    ExitReason reason{static_cast<ExitReason::Kind>(kind), kind % 2 ? "boom: \xc3\xa9" : ""};
    out.push_back(sched::make_signal<signal::Exit>(signal::Exit{remote_pid(9), reason, kind % 3 == 0}));
    out.push_back(sched::make_message<sched::DownMsg>(sched::DownMsg{sched::MonitorRef{1000u + kind}, remote_pid(10), reason}));
  }
  out.push_back(sched::make_signal<signal::Monitor>(signal::Monitor{remote_pid(11), sched::MonitorRef{0xFFFF'FFFF'FFFFull}}));
  out.push_back(sched::make_signal<signal::Demonitor>(signal::Demonitor{sched::MonitorRef{42}}));
  out.push_back(sched::make_message<Blob>(Blob{3, mqtt::SharedBytes::copy_of(std::string_view("payload"))}));
  out.push_back(sched::make_message<Blob>(Blob{0, {}}));
  return out;
}

}  // namespace actormq::dist::test
