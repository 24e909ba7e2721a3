// What a node link remembers of the links and monitors crossing it, and
// what it tells local processes when it goes down.
#include <doctest/doctest.h>

#include "bridge/dist/link_relations.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace actormq;
using namespace actormq::dist;
// Not `signal`: at global scope that clashes with signal(2) wherever
// <signal.h> is included first (the aarch64 build's headers include it).
namespace sig = sched::signal;
using sched::ExitReason;

namespace {
const sched::Pid local(1, 10);
const sched::Pid local2(1, 11);
const sched::Pid remote(2, 20);

std::string describe(const std::pair<sched::Pid, sched::MessagePtr>& d) {
  const sched::Message& m = *d.second;
  std::string to = d.first.to_string() + " ";
  if (const auto* e = m.as<sig::Exit>()) {
    return to + "exit from " + e->from.to_string() + " " + e->reason.to_string() + (e->linked ? " linked" : "");
  }
  if (const auto* down = m.as<sched::DownMsg>()) {
    return to + "DOWN " + std::to_string(down->ref) + " " + down->pid.to_string() + " " + down->reason.to_string();
  }
  if (const auto* dm = m.as<sig::Demonitor>()) {
    return to + "demonitor " + std::to_string(dm->ref);
  }
  return to + "?";
}

std::vector<std::string> fired(LinkRelations& r) {
  std::vector<std::string> out;
  for (const auto& d : r.down()) {
    out.push_back(describe(d));
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("link relations: links and monitors set up either way fire noconnection locally, once") {
  LinkRelations r;
  r.outgoing(remote, *sched::make_signal<sig::Link>(sig::Link{local}));
  r.incoming(local2, *sched::make_signal<sig::Link>(sig::Link{remote}));
  r.outgoing(remote, *sched::make_signal<sig::Monitor>(sig::Monitor{local, 5}));
  r.incoming(local2, *sched::make_signal<sig::Monitor>(sig::Monitor{remote, 7}));
  CHECK(r.links() == 2);
  CHECK(r.monitors() == 2);
  CHECK(fired(r) == std::vector<std::string>{
                        "<1.10> DOWN 5 <2.20> noconnection",
                        "<1.10> exit from <2.20> noconnection linked",
                        "<1.11> demonitor 7",
                        "<1.11> exit from <2.20> noconnection linked",
                    });
  CHECK(fired(r).empty());  // forgotten once fired
}

TEST_CASE("link relations: what was undone or already ended fires nothing") {
  LinkRelations r;
  r.outgoing(remote, *sched::make_signal<sig::Link>(sig::Link{local}));
  r.outgoing(remote, *sched::make_signal<sig::Unlink>(sig::Unlink{local}));
  r.incoming(local2, *sched::make_signal<sig::Link>(sig::Link{remote}));
  r.incoming(local2, *sched::make_signal<sig::Exit>(sig::Exit{remote, ExitReason::normal(), true}));
  r.outgoing(remote, *sched::make_signal<sig::Monitor>(sig::Monitor{local, 5}));
  r.outgoing(remote, *sched::make_signal<sig::Demonitor>(sig::Demonitor{5}));
  r.outgoing(remote, *sched::make_signal<sig::Monitor>(sig::Monitor{local, 6}));
  r.incoming(local, *sched::make_message<sched::DownMsg>(sched::DownMsg{6, remote, ExitReason::normal()}));
  r.incoming(local2, *sched::make_signal<sig::Monitor>(sig::Monitor{remote, 7}));
  r.outgoing(remote, *sched::make_message<sched::DownMsg>(sched::DownMsg{7, local2, ExitReason::normal()}));
  r.outgoing(remote, *sched::make_signal<sig::Link>(sig::Link{local2}));
  r.outgoing(remote, *sched::make_signal<sig::Exit>(sig::Exit{local2, ExitReason::normal(), true}));
  CHECK(fired(r).empty());
}

TEST_CASE("link relations: a link or monitor that could not cross fires at once, other messages nothing") {
  auto link = LinkRelations::unreachable(remote, *sched::make_signal<sig::Link>(sig::Link{local}));
  REQUIRE(link.size() == 1);
  CHECK(describe(link[0]) == "<1.10> exit from <2.20> noconnection linked");
  auto mon = LinkRelations::unreachable(remote, *sched::make_signal<sig::Monitor>(sig::Monitor{local, 3}));
  REQUIRE(mon.size() == 1);
  CHECK(describe(mon[0]) == "<1.10> DOWN 3 <2.20> noconnection");
  CHECK(LinkRelations::unreachable(remote, *sched::make_signal<sig::Unlink>(sig::Unlink{local})).empty());
}
