#include "bridge/dist/global_names.hpp"

#include <algorithm>
#include <tuple>

namespace actormq::dist {

bool GlobalNames::precedes(const Claim& a, const Claim& b) {
  return std::tie(a.at_ms, a.node_name, a.pid) < std::tie(b.at_ms, b.node_name, b.pid);
}

const GlobalNames::Holder* GlobalNames::winner(const std::string& name) const {
  auto it = holders_.find(name);
  if (it == holders_.end() || it->second.empty()) {
    return nullptr;
  }
  const Holder* best = &it->second.front();
  for (const Holder& h : it->second) {
    if (precedes(h.claim, best->claim)) {
      best = &h;
    }
  }
  return best;
}

sched::Pid GlobalNames::whereis(const std::string& name) const {
  const Holder* h = winner(name);
  return h != nullptr ? h->claim.pid : sched::Pid{};
}

std::vector<std::pair<std::string, sched::Pid>> GlobalNames::all() const {
  std::vector<std::pair<std::string, sched::Pid>> out;
  for (const auto& [name, list] : holders_) {
    if (const Holder* h = winner(name)) {
      out.emplace_back(name, h->claim.pid);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void GlobalNames::remove(const std::string& name, std::uint16_t node) {
  auto it = holders_.find(name);
  if (it == holders_.end()) {
    return;
  }
  auto& list = it->second;
  auto gone = std::remove_if(list.begin(), list.end(), [&](const Holder& h) { return h.node == node; });
  if (node == self_.id) {
    own_ -= static_cast<std::size_t>(list.end() - gone);
  }
  list.erase(gone, list.end());
  if (list.empty()) {
    holders_.erase(it);
  }
}

NamesFrame GlobalNames::change(NamesOp op, std::vector<NameEntry> entries) {
  return NamesFrame{op, ++version_, std::move(entries)};
}

std::optional<NamesFrame> GlobalNames::claim(const std::string& name, sched::Pid pid, std::uint64_t at_ms) {
  if (name.empty() || name.size() > max_global_name || !pid.valid() || pid.node() != self_.id ||
      own_ >= max_global_names || winner(name) != nullptr) {
    return std::nullopt;
  }
  holders_[name].push_back(Holder{Claim{pid, at_ms, self_.name}, self_.id});
  ++own_;
  return change(NamesOp::claim, {NameEntry{name, pid, at_ms}});
}

std::optional<NamesFrame> GlobalNames::release(const std::string& name) {
  auto it = holders_.find(name);
  if (it == holders_.end() ||
      std::none_of(it->second.begin(), it->second.end(), [&](const Holder& h) { return h.node == self_.id; })) {
    return std::nullopt;
  }
  remove(name, self_.id);
  return change(NamesOp::release, {NameEntry{name, {}, 0}});
}

std::optional<NamesFrame> GlobalNames::release_all(sched::Pid pid) {
  std::vector<NameEntry> gone;
  for (const auto& [name, list] : holders_) {
    for (const Holder& h : list) {
      if (h.node == self_.id && h.claim.pid == pid) {
        gone.push_back(NameEntry{name, {}, 0});
      }
    }
  }
  if (gone.empty()) {
    return std::nullopt;
  }
  for (const NameEntry& e : gone) {
    remove(e.name, self_.id);
  }
  return change(NamesOp::release, std::move(gone));
}

NamesFrame GlobalNames::snapshot() const {
  NamesFrame f{NamesOp::reset, version_, {}};
  for (const auto& [name, list] : holders_) {
    for (const Holder& h : list) {
      if (h.node == self_.id) {
        f.entries.push_back(NameEntry{name, h.claim.pid, h.claim.at_ms});
      }
    }
  }
  std::sort(f.entries.begin(), f.entries.end(), [](const NameEntry& a, const NameEntry& b) { return a.name < b.name; });
  return f;
}

void GlobalNames::drop_node(std::uint16_t node_id) {
  for (auto it = holders_.begin(); it != holders_.end();) {
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(), [&](const Holder& h) { return h.node == node_id; }),
               list.end());
    it = list.empty() ? holders_.erase(it) : std::next(it);
  }
  peer_versions_.erase(node_id);
}

Result<GlobalNames::Applied> GlobalNames::apply(const NodeInfo& peer, const NamesFrame& frame) {
  if (peer.id == self_.id) {
    return WireError::bad_value;
  }
  for (const NameEntry& e : frame.entries) {
    if (e.pid.valid() && e.pid.node() != peer.id) {
      return WireError::bad_value;  // a node speaks for its own processes only
    }
  }
  auto known = peer_versions_.find(peer.id);
  if (known != peer_versions_.end() && known->second.incarnation != peer.incarnation) {
    drop_node(peer.id);  // the peer restarted: its earlier run's claims are void
    known = peer_versions_.end();
  }
  if (known != peer_versions_.end() && frame.version <= known->second.version) {
    return Applied{};  // stale: came on a link that another replaced
  }
  peer_versions_[peer.id] = PeerVersion{peer.incarnation, frame.version};

  std::vector<const NameEntry*> claimed;
  if (frame.op == NamesOp::reset) {
    drop_node(peer.id);
    peer_versions_[peer.id] = PeerVersion{peer.incarnation, frame.version};
  }
  for (const NameEntry& e : frame.entries) {
    remove(e.name, peer.id);
    if (frame.op != NamesOp::release) {
      holders_[e.name].push_back(Holder{Claim{e.pid, e.at_ms, peer.name}, peer.id});
      claimed.push_back(&e);
    }
  }

  // A local claim that no longer precedes every other is withdrawn.
  Applied applied;
  std::vector<NameEntry> withdrawn;
  for (const NameEntry* e : claimed) {
    const Holder* best = winner(e->name);
    if (best == nullptr || best->node == self_.id) {
      continue;
    }
    auto& list = holders_[e->name];
    for (const Holder& h : list) {
      if (h.node == self_.id) {
        applied.lost.push_back(Lost{e->name, h.claim.pid, best->claim.pid});
        withdrawn.push_back(NameEntry{e->name, {}, 0});
      }
    }
    if (!withdrawn.empty() && withdrawn.back().name == e->name) {
      remove(e->name, self_.id);
    }
  }
  if (!withdrawn.empty()) {
    applied.withdrawal = change(NamesOp::release, std::move(withdrawn));
  }
  return applied;
}

}  // namespace actormq::dist
