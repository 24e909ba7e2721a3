// The outgoing side: messages from routers and the retainer become PUBLISH
// packets within the client's window (in-flight limit, receive maximum), or
// wait in the session queue (bounded; QoS 0 dropped first).
//
// Two bounds keep a session's memory in check whatever its client reads:
// max_queued_messages counts the queue, max_queued_bytes the encoded bytes
// the socket has not taken yet (the out queue). Once those bytes reach
// max_queued_bytes, QoS 0 messages are dropped (and counted) and QoS 1/2
// messages wait in the queue, throttling their publishers, until the client
// has read them down; session.cpp disconnects a client whose backlog grows
// far past it all the same (acknowledgements of its own publishes it never
// reads).
#include <algorithm>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/session/channel.hpp"

namespace actormq::core {

using mqtt::QoS;

namespace {
// Queue lengths at which a connected subscriber throttles its publishers, and
// at which it lets them go again.
constexpr std::size_t throttle_high = 1000;
// A throttle takes effect only after what is already on its way: our own
// mailbox (up to mailbox_high and more before we see each publisher's next
// message), each publisher's last read (a budget's worth) and, from
// publishers on another node, what the node link and the sockets between
// the nodes hold (megabytes at full speed). QoS 1/2 messages get this much
// room beyond max_queued_messages while publishers are throttled, so what
// was acknowledged is not dropped: 4,096 was too little for eight saturating
// publishers, and 65,536 for them on another node after the subscriber's
// node stalled for a second (3,204 dropped in a CI run of
// tests/integration/test_flow_control.py).
constexpr std::size_t throttle_overshoot = 262144;
// Deliveries waiting in our mailbox at which a connected subscriber throttles
// the publishers that send them: when eight publishers outrun one subscriber,
// QoS 0 messages pile up in the mailbox before any queue sees them, and only
// slowing the publishers (TCP then slows their clients) bounds memory and delay.
// Per subscriber, so a fan-out to a thousand may hold a thousand times this.
constexpr std::uint32_t mailbox_high = 1024;

std::size_t high_watermark(std::uint32_t max_queued) {
  return max_queued == 0 ? throttle_high : std::min<std::size_t>(throttle_high, max_queued / 2 + 1);
}

// A dropped delivery counts in the total and under its reason.
void count_drop(ChannelHost& host, Counter reason) {
  host.metrics().add(Counter::publish_dropped);
  host.metrics().add(reason);
}
}  // namespace

std::size_t Channel::send_window(const ChannelHost& host) const {
  std::size_t window = host.limits().max_inflight == 0 ? 65535 : host.limits().max_inflight;
  return std::min<std::size_t>(window, client_receive_max_);
}

std::uint16_t Channel::next_packet_id() {
  // Skip 0 and ids still in flight (MQTT 2.2.1).
  for (;;) {
    std::uint16_t id = ++session_.last_packet_id;
    if (id == 0) {
      continue;
    }
    if (!session_.inflight.contains(id)) {
      return id;
    }
  }
}

void Channel::handle_deliver(ChannelHost& host, Deliver& d) {
  if (expired(*d.msg, d.msg->received_ms == 0 ? 0 : wall_ms())) {
    count_drop(host, Counter::dropped_expired);
    return;
  }
  if (state_ == State::handing_over) {
    // Goes with the state, behind what we queued before it: the new session
    // sends it ahead of anything the routers send it directly (MQTT 4.6).
    enqueue(host, std::move(d));
    return;
  }
  if (state_ == State::connected && !acl_allows(host, d.msg->topic, AclAccess::read)) {
    // Read access is checked per message, as mosquitto does at delivery: a
    // granted filter (say "#") still carries only what the client may read,
    // under the rules in force now (reloads included). An offline session
    // may not know its user (restored from the store): what it queues is
    // checked when it is sent (drain_queue), by the connection's rules.
    refuse_unreadable(host, std::move(d));
    return;
  }
  if (state_ != State::connected) {
    if (!d.shared_group.empty() && d.qos != QoS::at_most_once) {
      // A shared message for a member whose client is away: another member takes it.
      host.redeliver_shared(std::move(d));
      return;
    }
    if (d.qos == QoS::at_most_once && !host.limits().queue_qos0) {
      count_drop(host, Counter::dropped_qos0_offline);
      return;
    }
    enqueue(host, std::move(d));
    return;
  }
  if (host.mailbox_backlog() >= mailbox_high) {
    throttle_publisher(host, *d.msg);
  }
  if (d.qos == QoS::at_most_once) {
    if (backlog_full(host)) {
      count_drop(host, Counter::dropped_queue_full);
      return;
    }
    send_publish(host, d, 0, false);
    return;
  }
  if (session_.inflight.size() >= send_window(host) || !session_.queue.empty() || backlog_full(host)) {
    // Waits for the window or for the client to read: a long queue
    // throttles the publishers (enqueue), and it only drains as the
    // backlog does (drain_queue).
    enqueue(host, std::move(d));
    return;
  }
  std::uint16_t id = next_packet_id();
  if (send_publish(host, d, id, false)) {
    auto [it, added] = session_.inflight.emplace(id, Inflight{++session_.inflight_seq, std::move(d), false});
    store_inflight(host, id, it->second);
  }
}

void Channel::enqueue(ChannelHost& host, Deliver d) {
  auto& q = session_.queue;
  std::size_t limit = host.limits().max_queued;
  if (limit != 0 && throttling() && d.qos != QoS::at_most_once) {
    limit += throttle_overshoot;
  }
  if (limit != 0 && q.size() >= limit) {
    // Full: drop the oldest QoS 0 message if there is one, else the new one.
    Rare& r = rare();
    auto qos0 = r.queue_without_qos0 ? q.end() : std::find_if(q.begin(), q.end(), [](const Deliver& x) {
      return x.qos == QoS::at_most_once;
    });
    count_drop(host, Counter::dropped_queue_full);
    ACTORMQ_LOG_DEBUG("client " << client_id_ << ": queue full, dropping a message");
    if (qos0 == q.end()) {
      r.queue_without_qos0 = true;  // and stays so: the new one goes too
      return;
    }
    std::vector<persist::Op> ops;
    unstore_queued(*qos0, ops);
    if (!ops.empty()) {
      store(host, std::move(ops));
    }
    q.erase(qos0);
  }
  if (state_ == State::connected && q.size() >= high_watermark(host.limits().max_queued)) {
    throttle_publisher(host, *d.msg);
  }
  if (d.qos == QoS::at_most_once && rare_) {
    rare_->queue_without_qos0 = false;
  }
  store_queued(host, d);
  q.push_back(std::move(d));
}

void Channel::throttle_publisher(ChannelHost& host, const AppMessage& msg) {
  sched::Pid p = msg.publisher_pid;
  if (!p || p == host.pid()) {
    return;
  }
  Rare& r = rare();
  if (std::ranges::find(r.throttled, p) != r.throttled.end()) {
    std::uint64_t now = host.now_ms();
    // It reads again after throttle_timeout_ms on its own: renewed before
    // that, or the publisher, still on our list, would never be asked again
    // and our queue would overflow.
    if (now - r.throttle_sent_ms >= throttle_renew_ms) {
      r.throttle_sent_ms = now;
      for (sched::Pid q : r.throttled) {
        host.send_throttle(q, true);
      }
    }
    return;
  }
  if (r.throttled.empty()) {
    r.throttle_sent_ms = host.now_ms();
  }
  r.throttled.push_back(p);
  ACTORMQ_LOG_DEBUG("client " << client_id_ << ": queue at " << session_.queue.size() << ", mailbox at "
                                << host.mailbox_backlog() << ", throttling a publisher");
  host.send_throttle(p, true);
}

void Channel::redispatch_shared(ChannelHost& host) {
  for (auto it = session_.inflight.begin(); it != session_.inflight.end();) {
    Inflight& f = it->second;
    if (!f.released && !f.delivery.shared_group.empty()) {
      host.redeliver_shared(std::move(f.delivery));
      it = session_.inflight.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = session_.queue.begin(); it != session_.queue.end();) {
    if (!it->shared_group.empty()) {
      host.redeliver_shared(std::move(*it));
      it = session_.queue.erase(it);
    } else {
      ++it;
    }
  }
}

void Channel::refuse_unreadable(ChannelHost& host, Deliver d) {
  host.metrics().add(Counter::acl_denied);
  if (!d.shared_group.empty() && d.qos != QoS::at_most_once) {
    // The router picks members that may read (Router::may_read); this one
    // may not since (a reload): another member takes it, as in redispatch_shared.
    host.redeliver_shared(std::move(d));
  }
}

void Channel::release_publishers(ChannelHost& host) {
  if (!throttling()) {
    return;
  }
  ACTORMQ_LOG_DEBUG("client " << client_id_ << ": releasing " << rare_->throttled.size() << " publishers");
  for (sched::Pid p : rare_->throttled) {
    host.send_throttle(p, false);
  }
  rare_->throttled.clear();
}

void Channel::drain_queue(ChannelHost& host) {
  auto& q = session_.queue;
  while (state_ == State::connected && !q.empty() && host.connection_open() && !backlog_full(host)) {
    Deliver& d = q.front();
    if (d.qos != QoS::at_most_once && session_.inflight.size() >= send_window(host)) {
      return;
    }
    Deliver next = std::move(d);
    q.pop_front();
    std::vector<persist::Op> unstore;
    unstore_queued(next, unstore);
    if (expired(*next.msg, next.msg->received_ms == 0 ? 0 : wall_ms())) {
      count_drop(host, Counter::dropped_expired);
      store(host, std::move(unstore));
      continue;
    }
    if (!acl_allows(host, next.msg->topic, AclAccess::read)) {
      refuse_unreadable(host, std::move(next));
      store(host, std::move(unstore));
      continue;
    }
    if (next.qos == QoS::at_most_once) {
      send_publish(host, next, 0, false);
      store(host, std::move(unstore));
      continue;
    }
    std::uint16_t id = next_packet_id();
    if (send_publish(host, next, id, false)) {
      auto [it, added] = session_.inflight.emplace(id, Inflight{++session_.inflight_seq, std::move(next), false});
      // The in-flight entry is written before the queue entry goes: a crash
      // between the two resends the message rather than losing it.
      store_inflight(host, id, it->second, std::move(unstore));
    } else {
      store(host, std::move(unstore));
    }
  }
  release_if_caught_up(host);
}

void Channel::release_if_caught_up(ChannelHost& host) {
  if (throttling() && session_.queue.size() <= high_watermark(host.limits().max_queued) / 4 &&
      host.mailbox_within(mailbox_high / 4)) {
    release_publishers(host);
  }
}

bool Channel::backlog_full(const ChannelHost& host) const {
  return host.pending_bytes() >= host.limits().max_queued_bytes;
}

bool Channel::queue_sendable(const ChannelHost& host) const {
  if (state_ != State::connected || !host.connection_open() || session_.queue.empty() || backlog_full(host)) {
    return false;
  }
  return session_.queue.front().qos == QoS::at_most_once || session_.inflight.size() < send_window(host);
}

void Channel::resend_inflight(ChannelHost& host) {
  std::vector<std::pair<std::uint64_t, std::uint16_t>> order;
  order.reserve(session_.inflight.size());
  for (const auto& [id, f] : session_.inflight) {
    order.emplace_back(f.seq, id);
  }
  std::sort(order.begin(), order.end());
  for (const auto& [seq, id] : order) {
    Inflight& f = session_.inflight.at(id);
    if (f.released) {
      mqtt::Pubrel rel;
      rel.packet_id = id;
      send_packet(host, rel);
    } else if (!acl_allows(host, f.delivery.msg->topic, AclAccess::read)) {
      // Checked again as on every delivery path: the rules may have been
      // reloaded, or the message restored from the store, since it was sent.
      refuse_unreadable(host, std::move(f.delivery));
      session_.inflight.erase(id);
      unstore_inflight(host, id);
    } else {
      send_publish(host, f.delivery, id, true);
    }
  }
}

bool Channel::send_publish(ChannelHost& host, const Deliver& d, std::uint16_t packet_id, bool dup) {
  if (!host.connection_open()) {
    return true;  // stays in flight until the client is back
  }
  const AppMessage& m = *d.msg;
  mqtt::PublishHeader h;
  h.topic = m.topic;
  h.qos = d.qos;
  h.retain = d.retain;
  h.dup = dup;
  h.packet_id = packet_id;
  h.payload_size = m.payload.size();
  mqtt::Properties props;
  bool binds_alias = false;  // this packet introduces a new alias for m.topic
  if (v5()) {
    bool needs_copy = !d.subscription_ids.empty() || m.properties().message_expiry_interval ||
                      client_alias_max_ > 0;
    if (needs_copy) {
      props = m.properties();
      props.subscription_identifiers = d.subscription_ids;
      if (m.properties().message_expiry_interval) {
        // MQTT 5 3.3.2.3.3: the interval sent is what is left of it.
        std::uint64_t elapsed_s = (wall_ms() - m.received_ms) / 1000;
        std::uint32_t left = *m.properties().message_expiry_interval;
        props.message_expiry_interval = left > elapsed_s ? left - static_cast<std::uint32_t>(elapsed_s) : 1;
      }
      if (client_alias_max_ > 0) {
        auto& aliases = rare().out_aliases;
        auto it = aliases.find(m.topic);
        if (it != aliases.end()) {
          props.topic_alias = it->second;
          h.topic = {};
        } else if (aliases.size() < client_alias_max_) {
          props.topic_alias = static_cast<std::uint16_t>(aliases.size() + 1);
          binds_alias = true;
        }
      }
      h.properties = &props;
    } else if (!m.properties().empty()) {
      h.properties = &m.properties();
    }
  }
  auto layout = mqtt::publish_layout(h, version_);
  if (!layout || layout->total_size > client_max_packet_) {
    // MQTT 5 3.1.2.25: never send more than the client's Maximum Packet Size;
    // such a message is dropped as if delivered.
    count_drop(host, Counter::dropped_too_large);
    return false;
  }
  if (!host.write_publish(h, m.payload, version_)) {
    host.metrics().add(Counter::publish_dropped);
    return false;
  }
  if (binds_alias) {
    // Bound only once the packet is on its way: a dropped one would leave an
    // alias the client never saw for the next message to use (MQTT 5 3.3.2.3.4).
    rare().out_aliases.emplace(m.topic, *props.topic_alias);
  }
  host.metrics().add(Counter::messages_sent);
  host.charge(1);
  return true;
}

}  // namespace actormq::core
