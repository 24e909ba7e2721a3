// A reload's change of a bridge's process (the top of bridge_link.hpp): the
// old process moves its routes to the new one and ends once its messages
// for the remote are committed; the new one holds what its routes bring
// until then, and sends the stored messages first.
#include <cerrno>
#include <utility>

#include "bridge/mqtt/bridge_link.hpp"
#include "core/broker_context.hpp"
#include "core/logger.hpp"
#include "core/store/ack_gate.hpp"
#include "persist/env.hpp"

namespace actormq::bridge {

void BridgeLink::hand_over(BridgeHandOver h) {
  if (predecessor_) {
    // We have not taken over ourselves yet (reloads in quick succession):
    // neither our routes nor our messages are all here to give.
    next_hand_over_ = std::move(h);
    return;
  }
  if (state_ == State::handing_over) {
    return;
  }
  if (state_ == State::up) {
    write(client_.goodbye());  // as when the broker stops: the remote's "0", then DISCONNECT
    flush();
  }
  close_socket();  // before the successor dials: the remote takes one connection of a client id
  client_.lost();
  pending_acks_.clear();  // the remote sends their messages again, to the successor
  ++generation_;          // our timers are void
  successor_ = h.successor;
  set_state(State::handing_over);
  ACTORMQ_LOG_INFO(who() << ": handing over to its new process");
  // As a session taken over (core/session/handle_disconnect.cpp): a route
  // both have changes hands in one step at each router, so a publish finds
  // this process or the successor, never neither. What a router sent here
  // before its step is in our mailbox ahead of its RouteSynced.
  RouteHandOver plan = route_hand_over(setup_->topics, h.setup->topics);
  for (const FilterQos& f : plan.moved) {
    core::RouteAdd r = local_route(f, successor_, h.setup->config);
    r.replaces = self();
    ctx_.routers.add_route(runtime(), r);
  }
  for (const FilterQos& f : plan.added) {
    ctx_.routers.add_route(runtime(), local_route(f, successor_, h.setup->config));
  }
  for (const std::string& filter : plan.removed) {
    ctx_.routers.remove_route(runtime(), core::RouteRemove{filter, {}, self()});
  }
  syncs_pending_ = ctx_.routers.sync(runtime(), self());
  if (syncs_pending_ == 0) {
    syncs_pending_ = 1;
    on_route_synced();
  }
}

void BridgeLink::on_route_synced() {
  if (state_ != State::handing_over || syncs_pending_ == 0 || --syncs_pending_ != 0) {
    return;
  }
  // Every router routes to the successor: all that came here is handled,
  // each message put in the store. The successor reads the store once the
  // commit of these records (and of the erasures and releases before them) is done.
  if (store_.enabled()) {
    store_.commit(std::make_shared<core::AckGate>(ctx_.ack_sink, self(), hand_over_token));
  } else {
    on_hand_over_committed(0);
  }
}

void BridgeLink::on_hand_over_committed(int store_error) {
  if (store_error != 0) {
    ACTORMQ_LOG_ERROR(who() << ": its messages for the remote were not all stored (" << persist::lmdb_error(store_error)
                            << "); the new process sends those that are");
  }
  if (predecessor_gone_) {
    took_over({});
    return;
  }
  if (state_ != State::handing_over || syncs_pending_ != 0) {
    return;
  }
  // Without a store, what we owe the remote goes in the message itself.
  BridgeHandedOver done;
  if (!store_.enabled()) {
    done.owed = client_.take_owed();
  }
  send<BridgeHandedOver>(successor_, std::move(done));
  exit(sched::ExitReason::normal());
}

void BridgeLink::predecessor_ended() {
  if (!predecessor_ || predecessor_gone_) {
    return;
  }
  // It ended without handing over (killed when it did not in time): our
  // routes are added anyway (again, if it had moved them: a route is one
  // per process), and its records, submitted as it ended, are read once
  // committed.
  ACTORMQ_LOG_WARNING(who() << ": its previous process ended before handing over; taking its place");
  predecessor_monitor_ = 0;
  predecessor_gone_ = true;
  set_local_routes(true);
  if (store_.enabled()) {
    store_.commit(std::make_shared<core::AckGate>(ctx_.ack_sink, self(), hand_over_token));
  } else {
    took_over({});
  }
}

void BridgeLink::took_over(std::vector<OutMessage> owed) {
  if (!predecessor_) {
    return;
  }
  if (predecessor_monitor_ != 0) {
    demonitor(predecessor_monitor_);
    predecessor_monitor_ = 0;
  }
  predecessor_ = {};
  predecessor_gone_ = false;
  // In order: what the predecessor stored (or owed, memory only), then
  // what our routes brought since they became ours.
  restore(std::move(owed));
  std::vector<core::Deliver> taken = std::exchange(taken_, {});
  for (const core::Deliver& d : taken) {
    on_deliver(d);
  }
  ACTORMQ_LOG_INFO(who() << ": took over from its previous process (" << taken.size()
                         << " message(s) held meanwhile)");
  if (next_hand_over_) {
    BridgeHandOver h = std::move(*next_hand_over_);
    next_hand_over_.reset();
    hand_over(std::move(h));
    return;
  }
  if (served_ && state_ == State::waiting) {
    dial();
  }
}

void BridgeLink::drop_taken() {
  if (taken_.empty()) {
    return;
  }
  // Under durability sync their publishers were not answered: they never
  // will be (Hold::failed), and send again.
  for (core::Deliver& d : taken_) {
    if (d.hold) {
      d.hold->failed(ECANCELED);
    }
  }
  ACTORMQ_LOG_WARNING(who() << ": ended before its previous process handed over; " << taken_.size()
                            << " message(s) held meanwhile not stored");
  taken_.clear();
}

}  // namespace actormq::bridge
