// The stored copy of a persistent session (persist/): its record (expiry,
// subscriptions, will), its queue and its in-flight messages, kept in step
// with the in-memory state so that a restart (even after kill -9) brings the
// session back. A session that is not persistent writes nothing.
#include <algorithm>
#include <atomic>
#include <cerrno>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/session/channel.hpp"
#include "core/store/persistence.hpp"

namespace actormq::core {

using persist::Db;
using persist::Op;

namespace {
// The writes that store `d`. A message that no client of this broker
// published (a bridge's, the HTTP API's, the host program's, $SYS) may not
// be tied to the store: it is tied here, or storing its body would follow a
// null writer (a bridged message for an offline persistent session crashed
// the broker so).
std::vector<Op> delivery_ops(persist::Writer* writer, Db db, std::string key, Deliver& d, std::uint64_t seq,
                             bool released) {
  d.msg = attach_to_store(std::move(d.msg), writer);
  return store_delivery_ops(db, std::move(key), d, seq, released);
}
}  // namespace

bool Channel::persistent(const ChannelHost& host) const {
  return host.store() != nullptr && session_expiry_s_ != 0 && !client_id_.empty();
}

void Channel::store(ChannelHost& host, std::vector<Op> ops, persist::HoldPtr hold) {
  if (ops.empty()) {
    return;  // nothing stored (the hold goes now)
  }
  host.store()->submit(std::move(ops), std::move(hold));
}

void Channel::store_record(ChannelHost& host, std::uint64_t disconnected_ms, persist::HoldPtr hold) {
  persist::StoredSession r;
  r.protocol_version = static_cast<std::uint8_t>(version_);
  r.session_expiry_s = session_expiry_s_;
  r.disconnected_ms = disconnected_ms;
  r.last_packet_id = session_.last_packet_id;
  if (username_) {
    r.username = *username_;
  }
  r.listener_index = listener_index_;
  for (const auto& [full, sub] : session_.subscriptions) {
    r.subscriptions.push_back(persist::StoredSubscription{full.str(), std::string(sub.filter(full)),
                                                          std::string(sub.group(full)), sub.info.max_qos,
                                                          sub.info.no_local, sub.info.retain_as_published,
                                                          sub.info.subscription_id});
  }
  if (session_.will) {
    r.will = to_stored(*session_.will, client_id_.str());
  }
  std::vector<Op> ops;
  ops.push_back(Op::put(Db::sessions, client_id_.str(), persist::encode(r)));
  store(host, std::move(ops), std::move(hold));
  stored_ = true;
}

void Channel::store_reset(ChannelHost& host) {
  store(host, {Op::erase(Db::sessions, client_id_.str()), Op::erase_prefix(Db::queue, persist::session_prefix(client_id_)),
         Op::erase_prefix(Db::inflight, persist::session_prefix(client_id_))});
  stored_ = false;
}

void Channel::store_whole(ChannelHost& host) {
  store_reset(host);  // nothing of an earlier session of this id may come back with it
  store_record(host, wall_ms());
  store_handover_queue(host);
  for (auto& [id, f] : session_.inflight) {
    store_inflight(host, id, f);
  }
}

namespace {
std::atomic<std::uint64_t> next_ack_token{1};
}  // namespace

persist::HoldPtr Channel::gate_ack(ChannelHost& host, mqtt::Packet ack) {
  if (!host.durable_acks()) {
    send_packet(host, ack);
    return nullptr;
  }
  std::uint64_t token = next_ack_token.fetch_add(1, std::memory_order_relaxed);
  rare().pending_acks.push_back(PendingAck{token, std::move(ack), false});
  return host.ack_gate(token);
}

void Channel::on_ack_ready(ChannelHost& host, std::uint64_t token, int store_error) {
  if (!rare_) {
    return;
  }
  auto& pending = rare_->pending_acks;
  auto& head = rare_->pending_head;
  auto it = std::find_if(pending.begin() + static_cast<std::ptrdiff_t>(head), pending.end(),
                         [&](const PendingAck& p) { return p.token == token; });
  if (it == pending.end()) {
    return;  // its connection is gone: the client resends what it has no answer for
  }
  if (store_error != 0) {
    // Durability sync promises the acknowledgement only for what is on disk.
    // MQTT has no negative PUBACK that makes a client resend, and later
    // acknowledgements may not overtake this one (4.6): the connection ends
    // (close_socket drops every pending acknowledgement), and the client
    // resends them all, with DUP, after it reconnects (4.4).
    host.metrics().add(Counter::store_failures);
    ACTORMQ_LOG_ERROR("client " << client_id_ << ": a write it waits for was not stored ("
                                << persist::lmdb_error(store_error) << "); closing its connection unacknowledged");
    bool full = store_error == ENOSPC || store_error == EDQUOT || store_error == MDB_MAP_FULL;
    // MQTT 5 3.14.2.1: 0x97 Quota exceeded for a store out of space, else 0x80.
    reject(host, full ? mqtt::ReasonCode::quota_exceeded : mqtt::ReasonCode::unspecified_error,
           full ? "the broker's message store is full" : "the broker could not store the message");
    return;
  }
  it->ready = true;
  auto done = pending.begin() + static_cast<std::ptrdiff_t>(head);
  while (done != pending.end() && done->ready) {
    send_packet(host, done->packet);
    ++done;
  }
  head = static_cast<std::size_t>(done - pending.begin());
  if (head == pending.size()) {
    pending.clear();
    head = 0;
  } else if (head >= 32 && head * 2 >= pending.size()) {
    pending.erase(pending.begin(), done);
    head = 0;
  }
}

void Channel::store_queued(ChannelHost& host, Deliver& d) {
  if (!stored_) {
    if (state_ != State::awaiting_handover && state_ != State::handing_over) {
      d.hold.reset();  // kept in memory only: nothing to wait for
    }
    // Around a handover, the stored session is about to be the new
    // session's: the delivery keeps its hold until store_handover_queue(host)
    // writes it there.
    return;
  }
  persist::HoldPtr hold = std::move(d.hold);
  // Keys follow the queue's order; an empty queue has no stored entries left
  // (their erasures are queued ahead of this write), so numbering restarts.
  // Kept in the entries, not in the session: idle sessions pay nothing.
  const auto& q = session_.queue;
  d.store_seq = (q.empty() ? 0 : q.back().store_seq) + 1;
  // A shared subscription's message goes to another member when this one's
  // client is away (MQTT 5 4.8.2): it is numbered but not kept.
  if (!d.shared_group.empty()) {
    return;
  }
  store(host, delivery_ops(host.store(), Db::queue, persist::session_key(client_id_, d.store_seq), d, 0, false),
        std::move(hold));
}

void Channel::store_handover_queue(ChannelHost& host) {
  // What reached us while we waited for the handover, and what the previous
  // session held without storing it (it was not persistent), is in the queue
  // unnumbered: numbered after the entries before it and written now, so that
  // a crash after CONNACK loses none of it, and the publishers' durability
  // sync acknowledgements wait for these writes.
  std::uint64_t seq = 0;
  for (Deliver& d : session_.queue) {
    persist::HoldPtr hold = std::move(d.hold);
    if (stored_ && d.store_seq == 0) {
      d.store_seq = seq + 1;
      if (d.shared_group.empty()) {
        store(host, delivery_ops(host.store(), Db::queue, persist::session_key(client_id_, d.store_seq), d, 0, false),
              std::move(hold));
      }
    }
    seq = d.store_seq;
  }
}

void Channel::unstore_queued(const Deliver& d, std::vector<Op>& ops) {
  if (stored_ && d.store_seq != 0 && d.shared_group.empty()) {
    ops.push_back(Op::erase(Db::queue, persist::session_key(client_id_, d.store_seq)));
  }
}

void Channel::store_inflight(ChannelHost& host, std::uint16_t id, Inflight& f, std::vector<Op> ops) {
  persist::HoldPtr hold = std::move(f.delivery.hold);
  if (stored_ && f.delivery.shared_group.empty() && f.delivery.msg) {
    std::vector<Op> put = delivery_ops(host.store(), Db::inflight, persist::session_key(client_id_, id), f.delivery,
                                       f.seq, f.released);
    ops.insert(ops.begin(), std::make_move_iterator(put.begin()), std::make_move_iterator(put.end()));
  }
  if (!ops.empty()) {
    store(host, std::move(ops), std::move(hold));
  }
}

void Channel::unstore_inflight(ChannelHost& host, std::uint16_t id) {
  if (stored_) {
    store(host, {Op::erase(Db::inflight, persist::session_key(client_id_, id))});
  }
}

}  // namespace actormq::core
