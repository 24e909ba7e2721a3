#include "core/routing/retainer.hpp"

#include <chrono>
#include <utility>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/store/persistence.hpp"

namespace actormq::core {

namespace {
struct SweepExpired {
  std::uint64_t due;  ///< the wall-clock time it was set for
};
}  // namespace

Retainer::Retainer(Metrics& metrics, persist::Writer* store, bool loading)
    : metrics_(metrics), store_(store), loading_(loading) {}

void Retainer::watch_expiry(const AppMessagePtr& msg) {
  if (!msg->properties().message_expiry_interval) {
    return;
  }
  std::uint64_t at = msg->received_ms + std::uint64_t{*msg->properties().message_expiry_interval} * 1000;
  expiries_.emplace(at, msg->topic);
  arm_sweep(at);
}

void Retainer::arm_sweep(std::uint64_t at) {
  if (sweep_due_ms_ != 0 && sweep_due_ms_ <= at) {
    return;
  }
  sweep_due_ms_ = at;
  std::uint64_t now = wall_ms();
  send_after(self(), sched::make_message<SweepExpired>(at), at > now ? at - now : 0);
}

void Retainer::sweep(std::uint64_t due) {
  if (due != sweep_due_ms_) {
    return;  // superseded by an earlier deadline, whose own timer is pending
  }
  std::uint64_t now = wall_ms();
  if (due > now) {
    // The timer runs on loop time, which may lead the wall clock by a hair.
    send_after(self(), sched::make_message<SweepExpired>(due), due - now);
    return;
  }
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    auto node = expiries_.extract(expiries_.begin());
    const AppMessagePtr* current = index_.find(node.mapped());
    if (current != nullptr && expired(**current, now)) {
      erase(node.mapped());
    }
  }
  sweep_due_ms_ = 0;
  if (!expiries_.empty()) {
    sweep_due_ms_ = expiries_.begin()->first;
    send_after(self(), sched::make_message<SweepExpired>(sweep_due_ms_),
               sweep_due_ms_ > now ? sweep_due_ms_ - now : 0);
  }
}

void Retainer::on_message(sched::Message& msg) {
  if (auto* s = msg.as<RetainStore>()) {
    if (s->from_node) {
      replicated(s->msg);
    } else {
      store(s->msg, std::move(s->hold));
      tell_observers(s->msg);
    }
  } else if (auto* o = msg.as<RetainObserve>()) {
    observers_.push_back(o->observer);
  } else if (auto* d = msg.as<RetainDump>()) {
    if (loading_) {
      held_dumps_.push_back(*d);
    } else {
      dump(*d);
    }
  } else if (auto* e = msg.as<RetainErase>()) {
    if (loading_) {
      held_erases_.push_back(std::move(*e));
    } else {
      erase_asked(*e);
    }
  } else if (auto* s = msg.as<SweepExpired>()) {
    sweep(s->due);
  } else if (auto* q = msg.as<RetainQuery>()) {
    if (loading_) {
      held_.push_back(std::move(*q));
    } else {
      query(*q);
    }
  } else if (auto* done = msg.as<RetainedLoaded>()) {
    take_loaded(*done);
  }
}

namespace {
// $SYS values are the broker's own and current only while it runs: not stored.
bool stored_topic(const std::string& topic) { return !topic.starts_with("$SYS/"); }
}  // namespace

void Retainer::store(const AppMessagePtr& msg, persist::HoldPtr hold) {
  if (loading_) {
    touched_.emplace(msg->topic);
  }
  // MQTT 3.3.1.3: a retained message with an empty payload removes the topic's.
  if (msg->payload.empty()) {
    // While loading, the store may hold the topic though the index does not yet.
    bool known = loading_ || index_.find(msg->topic) != nullptr;
    if (known && store_ != nullptr && stored_topic(msg->topic)) {
      store_->submit(persist::Op::erase(persist::Db::retained, msg->topic), std::move(hold));
    }
    erase(msg->topic);
    return;
  }
  if (store_ != nullptr && stored_topic(msg->topic)) {
    store_->submit(persist::Op::put(persist::Db::retained, msg->topic, persist::encode(to_stored(*msg))),
                   std::move(hold));
  }
  if (index_.set(msg->topic, msg)) {
    metrics_.add(Counter::retained_messages, 1);
  }
  watch_expiry(msg);
}

void Retainer::tell_observers(const AppMessagePtr& msg) {
  if (!stored_topic(msg->topic)) {
    return;
  }
  for (sched::Pid o : observers_) {
    send<RetainStore>(o, RetainStore{msg, {}});
  }
}

void Retainer::replicated(const AppMessagePtr& msg) {
  // Newer wins, so that nodes which passed each other their messages agree
  // whatever the order they arrived in.
  if (const AppMessagePtr* current = index_.find(msg->topic);
      current != nullptr && (*current)->received_ms >= msg->received_ms) {
    return;
  }
  store(msg, {});
}

void Retainer::dump(const RetainDump& d) {
  RetainedDump out{d.tag, {}};
  std::uint64_t now = wall_ms();
  index_.match(d.filter, [&](std::string_view, const AppMessagePtr& m) {
    if (!expired(*m, now)) {
      out.messages.push_back(m);
    }
  });
  consume(static_cast<std::uint32_t>(out.messages.size() / 64));
  send<RetainedDump>(d.reply_to, std::move(out));
}

void Retainer::erase_asked(const RetainErase& e) {
  const AppMessagePtr* current = index_.find(e.topic);
  bool found = current != nullptr && !expired(**current, wall_ms());
  if (current != nullptr) {
    // As a client's empty retained publish: stored, and told to observers.
    auto deletion = new_app_message();
    deletion->topic = e.topic;
    deletion->retain = true;
    deletion->received_ms = wall_ms();
    AppMessagePtr msg = std::move(deletion);
    store(msg, {});
    tell_observers(msg);
  }
  send<RetainErased>(e.reply_to, RetainErased{e.tag, found});
}

void Retainer::erase(const std::string& topic) {
  if (!index_.erase(topic)) {
    return;
  }
  metrics_.add(Counter::retained_messages, -1);
  if (store_ != nullptr && stored_topic(topic)) {
    store_->submit(persist::Op::erase(persist::Db::retained, topic));
  }
}

void Retainer::take_loaded(RetainedLoaded& done) {
  if (!loading_) {
    return;
  }
  loading_ = false;
  if (done.loaded) {
    std::size_t read = done.loaded->index.size();
    std::size_t expired_erased = merge(*done.loaded);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - done.started);
    ACTORMQ_LOG_NOTICE("loaded " << read << " retained messages from the store in " << ms.count()
                                 << " ms (expired: " << expired_erased << "; " << held_.size()
                                 << " lookups waited for them)");
  }
  touched_ = {};
  std::vector<RetainQuery> held = std::move(held_);
  held_ = {};
  for (const RetainQuery& q : held) {
    query(q);
  }
  for (const RetainDump& d : std::exchange(held_dumps_, {})) {
    dump(d);
  }
  for (const RetainErase& e : std::exchange(held_erases_, {})) {
    erase_asked(e);
  }
}

std::size_t Retainer::merge(LoadedRetained& loaded) {
  // What clients stored or deleted during the load is newer than what it read.
  for (const std::string& topic : touched_) {
    if (const AppMessagePtr* live = index_.find(topic)) {
      loaded.index.set(topic, *live);
    } else {
      loaded.index.erase(topic);
    }
  }
  for (auto& [at, topic] : loaded.expiries) {
    if (!touched_.contains(topic)) {
      expiries_.emplace(at, std::move(topic));
    }
  }
  std::size_t expired_erased = 0;
  for (std::string& topic : loaded.expired) {
    if (!touched_.contains(topic) && store_ != nullptr) {
      store_->submit(persist::Op::erase(persist::Db::retained, std::move(topic)));
      ++expired_erased;
    }
  }
  metrics_.add(Counter::retained_messages,
               static_cast<std::int64_t>(loaded.index.size()) - static_cast<std::int64_t>(index_.size()));
  index_ = std::move(loaded.index);
  if (!expiries_.empty()) {
    arm_sweep(expiries_.begin()->first);
  }
  return expired_erased;
}

void Retainer::query(const RetainQuery& q) {
  std::uint64_t now = wall_ms();
  std::uint32_t sent = 0;
  std::vector<std::string> stale;
  index_.match(q.filter, [&](std::string_view topic, const AppMessagePtr& m) {
    if (expired(*m, now)) {
      stale.emplace_back(topic);
      return;
    }
    Deliver d;
    d.msg = m;
    d.qos = m->qos < q.info.max_qos ? m->qos : q.info.max_qos;
    d.retain = true;  // MQTT 3.3.1.3: retained messages sent on subscribe keep RETAIN=1
    if (q.info.subscription_id != 0) {
      d.subscription_ids.push_back(q.info.subscription_id);
    }
    send<Deliver>(q.session, std::move(d));
    ++sent;
  });
  for (const std::string& topic : stale) {
    erase(topic);
  }
  consume(sent);
}

}  // namespace actormq::core
