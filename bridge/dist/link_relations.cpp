#include "bridge/dist/link_relations.hpp"

namespace actormq::dist {

namespace signal = sched::signal;
using sched::ExitReason;

void LinkRelations::outgoing(sched::Pid to, const sched::Message& msg) {
  if (const auto* l = msg.as<signal::Link>()) {
    links_.emplace(l->from, to);
  } else if (const auto* u = msg.as<signal::Unlink>()) {
    links_.erase({u->from, to});
  } else if (const auto* e = msg.as<signal::Exit>()) {
    if (e->linked) {
      links_.erase({e->from, to});  // the local end ended: its link is gone
    }
  } else if (const auto* m = msg.as<signal::Monitor>()) {
    watching_[m->ref] = {m->from, to};
  } else if (const auto* d = msg.as<signal::Demonitor>()) {
    watching_.erase(d->ref);
  } else if (const auto* down = msg.as<sched::DownMsg>()) {
    watched_.erase(down->ref);  // the local target ended and told its watcher
  }
}

void LinkRelations::incoming(sched::Pid to, const sched::Message& msg) {
  if (const auto* l = msg.as<signal::Link>()) {
    links_.emplace(to, l->from);
  } else if (const auto* u = msg.as<signal::Unlink>()) {
    links_.erase({to, u->from});
  } else if (const auto* e = msg.as<signal::Exit>()) {
    if (e->linked) {
      links_.erase({to, e->from});
    }
  } else if (const auto* m = msg.as<signal::Monitor>()) {
    watched_[m->ref] = to;
  } else if (const auto* d = msg.as<signal::Demonitor>()) {
    watched_.erase(d->ref);
  } else if (const auto* down = msg.as<sched::DownMsg>()) {
    watching_.erase(down->ref);
  }
}

namespace {

std::vector<std::pair<sched::Pid, sched::MessagePtr>> answers(sched::Pid to, const sched::Message& msg,
                                                              const ExitReason& reason) {
  std::vector<std::pair<sched::Pid, sched::MessagePtr>> out;
  if (const auto* l = msg.as<signal::Link>()) {
    out.emplace_back(l->from, sched::make_signal<signal::Exit>(signal::Exit{to, reason, true}));
  } else if (const auto* m = msg.as<signal::Monitor>()) {
    out.emplace_back(m->from, sched::make_message<sched::DownMsg>(sched::DownMsg{m->ref, to, reason}));
  }
  return out;
}

}  // namespace

std::vector<std::pair<sched::Pid, sched::MessagePtr>> LinkRelations::unreachable(sched::Pid to,
                                                                                 const sched::Message& msg) {
  return answers(to, msg, ExitReason::noconnection());
}

std::vector<std::pair<sched::Pid, sched::MessagePtr>> LinkRelations::gone(sched::Pid to, const sched::Message& msg) {
  return answers(to, msg, ExitReason::noproc());
}

void LinkRelations::merge(LinkRelations&& other) {
  links_.merge(other.links_);
  watching_.merge(other.watching_);
  watched_.merge(other.watched_);
  other = LinkRelations{};
}

std::vector<std::pair<sched::Pid, sched::MessagePtr>> LinkRelations::down() {
  std::vector<std::pair<sched::Pid, sched::MessagePtr>> out;
  for (const auto& [local, remote] : links_) {
    out.emplace_back(local, sched::make_signal<signal::Exit>(signal::Exit{remote, ExitReason::noconnection(), true}));
  }
  for (const auto& [ref, pair] : watching_) {
    out.emplace_back(pair.first,
                     sched::make_message<sched::DownMsg>(sched::DownMsg{ref, pair.second, ExitReason::noconnection()}));
  }
  for (const auto& [ref, target] : watched_) {
    out.emplace_back(target, sched::make_signal<signal::Demonitor>(signal::Demonitor{ref}));
  }
  links_.clear();
  watching_.clear();
  watched_.clear();
  return out;
}

}  // namespace actormq::dist
