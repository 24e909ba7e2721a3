// The node's global names (global_names.hpp): registering, resolving, the
// frames that keep peers in step, and the process that takes a name back
// when its holder ends.
#include <chrono>
#include <unordered_set>

#include "bridge/dist/node.hpp"
#include "core/logger.hpp"
#include "sched/process.hpp"

namespace actormq::dist {

namespace {

/// Watch this holder of a global name (NameKeeper).
struct WatchHolder {
  sched::Pid pid;
};

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

/// Monitors every local process that holds a global name; when one ends, its
/// names are taken back (and peers told).
class NameKeeper final : public sched::Process {
 public:
  explicit NameKeeper(Node& node) : node_(node) {}

 protected:
  void on_start() override {
    if (!node_.attach(self())) {
      exit(sched::ExitReason::normal());
    }
  }
  void on_message(sched::Message& msg) override {
    if (auto* w = msg.as<WatchHolder>()) {
      if (watched_.insert(w->pid).second) {
        (void)monitor(w->pid);  // a holder that ended already: DOWN (noproc) at once
      }
    } else if (auto* down = msg.as<sched::DownMsg>()) {
      watched_.erase(down->pid);
      node_.holder_ended(down->pid);
    }
  }
  void on_exit(const sched::ExitReason&) override { node_.detach(self()); }

 private:
  Node& node_;
  std::unordered_set<sched::Pid> watched_;
};

sched::Pid Node::spawn_name_keeper() {
  sched::SpawnOptions o;
  o.start = true;
  return runtime_.spawn(std::make_unique<NameKeeper>(*this), o);
}

bool Node::register_global(const std::string& name, sched::Pid pid) {
  std::lock_guard names_lock(names_mu_);
  if (!name_keeper_.valid()) {
    return false;  // not started
  }
  auto frame = names_.claim(name, pid, now_ms());
  if (!frame) {
    return false;
  }
  (void)runtime_.send<WatchHolder>(name_keeper_, pid);
  broadcast(*frame);
  return true;
}

bool Node::unregister_global(const std::string& name) {
  std::lock_guard names_lock(names_mu_);
  auto frame = names_.release(name);
  if (frame) {
    broadcast(*frame);
  }
  return frame.has_value();
}

sched::Pid Node::whereis_global(const std::string& name) const {
  std::lock_guard names_lock(names_mu_);
  return names_.whereis(name);
}

std::vector<std::pair<std::string, sched::Pid>> Node::global_names() const {
  std::lock_guard names_lock(names_mu_);
  return names_.all();
}

void Node::holder_ended(sched::Pid pid) {
  std::lock_guard names_lock(names_mu_);
  if (auto frame = names_.release_all(pid)) {
    broadcast(*frame);
  }
}

std::string Node::names_snapshot() const {
  std::lock_guard names_lock(names_mu_);
  return encode_names(names_.snapshot());
}

bool Node::names_from(const NodeInfo& peer, const NamesFrame& frame) {
  std::lock_guard names_lock(names_mu_);
  {
    // A link that is not (or no longer) to the peer's current incarnation
    // speaks for a run that ended, or for a peer that is down: its frames
    // are ignored (down() drops the peer's names under names_mu_ too).
    std::lock_guard lock(mu_);
    auto it = peers_.find(peer.id);
    if (it == peers_.end() || it->second.info != peer) {
      return true;
    }
  }
  auto applied = names_.apply(peer, frame);
  if (!applied) {
    return false;
  }
  for (const GlobalNames::Lost& lost : applied->lost) {
    ACTORMQ_LOG_NOTICE("global name " << lost.name << ": " << lost.winner.to_string() << " of node " << peer.name
                                      << " keeps it; " << lost.loser.to_string() << " here loses it");
    (void)runtime_.send<GlobalNameLost>(lost.loser, GlobalNameLost{lost.name, lost.winner});
  }
  if (applied->withdrawal) {
    broadcast(*applied->withdrawal);
  }
  return true;
}

void Node::broadcast(const NamesFrame& frame) {
  // Under names_mu_: the links get the frames in the order of their versions.
  std::string body = encode_names(frame);
  std::vector<sched::Pid> links;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, peer] : peers_) {
      links.push_back(peer.link);
    }
  }
  for (sched::Pid link : links) {
    (void)runtime_.send<SendNames>(link, SendNames{body});
  }
}

}  // namespace actormq::dist
