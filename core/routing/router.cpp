#include "core/routing/router.hpp"

#include <algorithm>

#include "core/auth/security.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

using mqtt::QoS;

namespace {
std::string group_key(const std::string& group, std::string_view filter) {
  std::string key = group;
  key.push_back('\0');
  key.append(filter);
  return key;
}

QoS min_qos(QoS a, QoS b) { return a < b ? a : b; }
}  // namespace

void RouterPool::add_route(sched::Runtime& runtime, const RouteAdd& add) const {
  bool first = false;
  if (local_rows && add.group.empty()) {
    first = local_rows->add(add.filter, add.session, add.info, add.replaces);
  } else {
    for (sched::Pid r : routers) {
      runtime.send<RouteAdd>(r, add);
    }
  }
  for (sched::Pid o : observers) {
    RouteAdd seen = add;
    seen.first_of_filter = first;
    runtime.send<RouteAdd>(o, std::move(seen));
  }
}

void RouterPool::remove_route(sched::Runtime& runtime, const RouteRemove& remove) const {
  bool last = false;
  if (local_rows && remove.group.empty()) {
    last = local_rows->remove(remove.filter, remove.session);
  } else {
    for (sched::Pid r : routers) {
      runtime.send<RouteRemove>(r, remove);
    }
  }
  for (sched::Pid o : observers) {
    RouteRemove seen = remove;
    seen.last_of_filter = last;
    runtime.send<RouteRemove>(o, std::move(seen));
  }
}

std::size_t RouterPool::sync(sched::Runtime& runtime, sched::Pid reply_to) const {
  for (sched::Pid r : routers) {
    runtime.send<RouteSync>(r, RouteSync{reply_to});
  }
  return routers.size();
}

Router::Router(SharedStrategy strategy, std::shared_ptr<LocalRoutes> local_rows,
               std::shared_ptr<const NodeRoutes> node_rows, std::size_t reader)
    : strategy_(strategy),
      reader_(reader),
      local_(local_rows ? std::move(local_rows) : std::make_shared<LocalRoutes>(reader + 1)),
      node_rows_(std::move(node_rows)) {}

void Router::on_message(sched::Message& msg) {
  if (auto* p = msg.as<RoutePublish>()) {
    publish(p->msg, p->hold, p->from_node);
  } else if (auto* a = msg.as<RouteAdd>()) {
    add(*a);
  } else if (auto* r = msg.as<RouteRemove>()) {
    remove(*r);
  } else if (auto* s = msg.as<RouteSync>()) {
    send<RouteSynced>(s->reply_to);
  } else if (auto* rs = msg.as<RedeliverShared>()) {
    redeliver(*rs);
  } else if (auto* sp = msg.as<RouteSharedPublish>()) {
    publish_shared(*sp);
  }
}

void Router::add(RouteAdd& r) {
  if (r.group.empty()) {
    // A repeated (filter, session) replaces the route's options: still one route.
    local_->add(r.filter, r.session, r.info, r.replaces);
    return;
  }
  if (r.replaces) {
    remove(RouteRemove{r.filter.str(), r.group, r.replaces});
  }
  std::string key = group_key(r.group, r.filter);
  shared_routes_.insert(r.filter, key, 0);
  Group& g = groups_[key];
  for (std::size_t i = 0; i < g.members.size(); ++i) {
    if (g.members[i].first == r.session) {
      g.members[i].second = r.info;  // a repeated SUBSCRIBE replaces the options
      g.readers[i] = std::move(r.reader);  // a session taken over may now be on another listener
      return;
    }
  }
  g.members.emplace_back(r.session, r.info);
  g.client_ids.push_back(std::move(r.client_id));
  g.readers.push_back(std::move(r.reader));
  ++shared_members_;
}

void Router::remove(const RouteRemove& r) {
  if (r.group.empty()) {
    local_->remove(r.filter, r.session);
    return;
  }
  std::string key = group_key(r.group, r.filter);
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    return;
  }
  Group& g = it->second;
  for (std::size_t i = 0; i < g.members.size(); ++i) {
    if (g.members[i].first == r.session) {
      g.members.erase(g.members.begin() + static_cast<std::ptrdiff_t>(i));
      g.client_ids.erase(g.client_ids.begin() + static_cast<std::ptrdiff_t>(i));
      g.readers.erase(g.readers.begin() + static_cast<std::ptrdiff_t>(i));
      --shared_members_;
      break;
    }
  }
  if (g.members.empty()) {
    groups_.erase(it);
    shared_routes_.erase(r.filter, key);
  }
}

void Router::redeliver(RedeliverShared& r) {
  auto it = groups_.find(r.delivery.shared_group);
  if (it == groups_.end()) {
    return;  // the group is gone: nobody left to take it
  }
  Group& g = it->second;
  if (auto i = choose(g, *r.delivery.msg, r.from)) {
    auto& [pid, info] = g.members[*i];
    Deliver d = std::move(r.delivery);
    d.qos = std::min(d.msg->qos, info.max_qos);
    send<Deliver>(pid, std::move(d));
  }
}

std::optional<std::size_t> Router::choose(Group& g, const AppMessage& msg, sched::Pid except, bool local_only) {
  const std::size_t n = g.members.size();
  const std::size_t first = pick(g, msg);
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t i = (first + k) % n;
    if (g.members[i].first != except && !(local_only && g.members[i].second.to_node) && may_read(g, i, msg.topic)) {
      return i;
    }
  }
  return std::nullopt;
}

void Router::publish_shared(const RouteSharedPublish& p) {
  auto it = groups_.find(p.group_key);
  if (it == groups_.end()) {
    return;  // its members here left meanwhile
  }
  if (auto i = choose(it->second, *p.msg, {}, true)) {
    auto& [pid, info] = it->second.members[*i];
    Deliver d;
    d.msg = p.msg;
    d.qos = min_qos(p.msg->qos, info.max_qos);
    d.retain = info.retain_as_published && p.msg->retain;
    d.shared_group = p.group_key;
    if (info.subscription_id != 0) {
      d.subscription_ids.push_back(info.subscription_id);
    }
    send<Deliver>(pid, std::move(d));
  }
}

bool Router::may_read(const Group& g, std::size_t member, std::string_view topic) const {
  // The check the member's session makes at delivery, made here so that the
  // message goes to a member that may keep it: a member that would drop it
  // must not take the group's one copy (QoS 1/2 were acknowledged to the
  // publisher). Same rules object, so reloads apply here too.
  const Reader& r = g.readers[member];
  if (r.rules != nullptr) {
    AclClient client{g.client_ids[member], r.username.get()};
    HostDecision d = r.rules->host_decides(HostAccess{client, topic, AclAccess::read, false});
    if (d != HostDecision::defer) {
      return d == HostDecision::allow;
    }
  }
  if (r.rules == nullptr || !r.rules->has_acl()) {
    return true;
  }
  return r.rules->acl()->allows(AclClient{g.client_ids[member], r.username.get()}, topic, AclAccess::read);
}

std::size_t Router::pick(Group& g, const AppMessage& msg) {
  switch (strategy_) {
    case SharedStrategy::random:
      return rng_() % g.members.size();
    case SharedStrategy::hash_clientid:
      return std::hash<std::string>{}(msg.publisher) % g.members.size();
    case SharedStrategy::round_robin:
      break;
  }
  return g.next++ % g.members.size();
}

void Router::publish(const AppMessagePtr& msg, const persist::HoldPtr& hold, bool from_node) {
  scratch_.clear();
  local_->match(reader_, msg->topic, [&](const sched::Pid& pid, const SubInfo& info) {
    // MQTT 5 3.8.3.1: with No Local, a client gets none of its own messages.
    if (info.no_local && pid == msg->publisher_pid) {
      return;
    }
    scratch_.push_back(Target{pid, info, nullptr});
  });
  // A message another node forwarded went to every node with a match
  // already: the rows to other nodes are for this node's own publishes.
  if (node_rows_ != nullptr && !from_node) {
    node_rows_->match(reader_, msg->topic,
                      [&](const sched::Pid& forwarder, const SubInfo& info) { scratch_.push_back(Target{forwarder, info, nullptr}); });
  }
  // A message another node forwarded went to one member of each group already
  // (a member on that node, or this node's through RouteSharedPublish).
  if (!groups_.empty() && !from_node) {
    shared_routes_.match(msg->topic, [&](std::string_view, const std::string& key, const char&) {
      auto it = groups_.find(key);
      if (it == groups_.end() || it->second.members.empty()) {
        return;
      }
      auto i = choose(it->second, *msg);
      if (!i) {
        return;  // no member may read it
      }
      auto& member = it->second.members[*i];
      scratch_.push_back(Target{member.first, member.second, &it->first});
    });
  }
  consume(static_cast<std::uint32_t>(scratch_.size()));
  deliver_merged(msg, hold);
}

void Router::deliver_merged(const AppMessagePtr& msg, const persist::HoldPtr& hold) {
  // Overlapping subscriptions of one session give one delivery (MQTT 3.1.1
  // 3.3.5: at the highest QoS; MQTT 5 3.3.4: with every subscription id).
  if (scratch_.size() > 1) {
    std::sort(scratch_.begin(), scratch_.end(), [](const Target& a, const Target& b) {
      return a.pid < b.pid || (a.pid == b.pid && (a.group == nullptr) > (b.group == nullptr));
    });
  }
  for (std::size_t i = 0; i < scratch_.size();) {
    const Target& first = scratch_[i];
    Deliver d;
    d.msg = msg;
    d.hold = hold;
    d.qos = min_qos(msg->qos, first.info.max_qos);
    d.retain = first.info.retain_as_published && msg->retain;
    if (first.group != nullptr) {
      d.shared_group = *first.group;
    }
    if (first.info.subscription_id != 0) {
      d.subscription_ids.push_back(first.info.subscription_id);
    }
    std::size_t j = i + 1;
    // Shared deliveries stay separate: each group delivers its own copy.
    while (first.group == nullptr && j < scratch_.size() && scratch_[j].pid == first.pid &&
           scratch_[j].group == nullptr) {
      const SubInfo& info = scratch_[j].info;
      QoS q = min_qos(msg->qos, info.max_qos);
      d.qos = std::max(d.qos, q);
      d.retain = d.retain || (info.retain_as_published && msg->retain);
      if (info.subscription_id != 0) {
        d.subscription_ids.push_back(info.subscription_id);
      }
      ++j;
    }
    send<Deliver>(first.pid, std::move(d));
    i = j;
  }
}

}  // namespace actormq::core
