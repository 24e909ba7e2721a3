#include "embed/host_hub.hpp"

#include <chrono>
#include <functional>
#include <future>

#include "core/broker_context.hpp"
#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/messages.hpp"
#include "embed/host_properties.hpp"
#include "mqtt/topic.hpp"
#include "sched/runtime.hpp"

namespace actormq::embed {

namespace {

constexpr std::string_view host_client_id = "$host";

/// One callback subscription in a running broker: a route like a
/// session's, and the retained messages it matches when it starts. `ready`
/// is set once every router holds the route, so a publish made after it
/// is routed to this subscription.
class HostSubscription final : public sched::Process {
 public:
  HostSubscription(HostHub& hub, core::BrokerContext& ctx, SubscriptionId id, std::string filter, mqtt::QoS qos,
                   std::shared_ptr<std::promise<void>> ready)
      : hub_(hub), ctx_(ctx), id_(id), filter_(std::move(filter)), qos_(qos), ready_(std::move(ready)) {}

  void on_start() override {
    core::RouteAdd r;
    r.filter = core::SharedText(filter_);
    r.session = self();
    r.client_id = std::string(host_client_id);
    r.info = core::SubInfo{qos_, false, false, false, 0};
    ctx_.routers.add_route(runtime(), r);
    send<core::RetainQuery>(ctx_.retainer, core::RetainQuery{filter_, self(), r.info});
    unsynced_ = ctx_.routers.sync(runtime(), self());
    signal_ready();
  }

  void on_message(sched::Message& msg) override {
    if (auto* d = msg.as<core::Deliver>()) {
      hub_.deliver(id_, Message{d->msg->topic, std::string(d->msg->payload.view()), static_cast<QoS>(d->qos),
                                d->retain, host_properties(*d->msg, core::wall_ms())});
    } else if (msg.is<core::RouteSynced>()) {
      --unsynced_;
      signal_ready();
    }
  }

  void on_exit(const sched::ExitReason&) override {
    ctx_.routers.remove_route(runtime(), core::RouteRemove{filter_, {}, self()});
    signal_ready();  // nobody waits in vain
  }

 private:
  void signal_ready() {
    if (ready_ && unsynced_ == 0) {
      ready_->set_value();
      ready_.reset();
    }
  }

  HostHub& hub_;
  core::BrokerContext& ctx_;
  SubscriptionId id_;
  std::string filter_;
  mqtt::QoS qos_;
  std::shared_ptr<std::promise<void>> ready_;
  std::size_t unsynced_ = 0;  // routers yet to confirm the route
};

/// How long subscribe() and start() wait for routes to be in place; the
/// routers answer within a scheduler turn unless the machine is stuck.
constexpr auto route_wait = std::chrono::seconds(10);

}  // namespace

HostHub::HostHub(std::size_t queue_limit) : queue_limit_(queue_limit), thread_([this] { run_callbacks(); }) {}

HostHub::~HostHub() {
  {
    std::lock_guard lock(queue_mu_);
    closing_ = true;
  }
  queue_cv_.notify_all();
  thread_.join();
}

void HostHub::attach(core::BrokerContext& ctx, sched::Runtime& runtime) {
  std::unique_lock attach(attach_mu_);
  ctx_ = &ctx;
  runtime_ = &runtime;
  std::lock_guard subs(subs_mu_);
  std::vector<std::future<void>> ready;
  for (auto& [id, s] : subs_) {
    ready.push_back(spawn(id, s));
  }
  // Their processes take neither lock: waiting here blocks no one they need.
  for (std::future<void>& r : ready) {
    r.wait_for(route_wait);
  }
}

void HostHub::detach() {
  std::unique_lock attach(attach_mu_);
  if (!runtime_) {
    return;
  }
  std::lock_guard subs(subs_mu_);
  for (auto& [id, s] : subs_) {
    runtime_->exit(s.pid, sched::ExitReason::kill());
    s.pid = {};
  }
  ctx_ = nullptr;
  runtime_ = nullptr;
}

std::future<void> HostHub::spawn(SubscriptionId id, Subscription& s) {
  auto ready = std::make_shared<std::promise<void>>();
  std::future<void> done = ready->get_future();
  sched::SpawnOptions o;
  o.start = true;
  s.pid = runtime_->spawn(std::make_unique<HostSubscription>(*this, *ctx_, id, s.filter, s.qos, std::move(ready)), o);
  return done;
}

core::Status HostHub::publish(std::string_view topic, std::string_view payload, mqtt::QoS qos, bool retain,
                              mqtt::Properties properties) {
  std::shared_lock attach(attach_mu_);
  if (!ctx_) {
    return core::Failure{"publish: the broker is not running"};
  }
  if (!mqtt::is_valid_topic_name(topic) || mqtt::exceeds_max_levels(topic, ctx_->limits.get().max_topic_levels)) {
    return core::Failure{"publish: \"" + std::string(topic) + "\" is not a valid topic name (or has too many levels)"};
  }
  auto msg = core::new_app_message();
  msg->topic = std::string(topic);
  msg->payload = mqtt::SharedBytes::copy_of(payload);
  msg->qos = qos;
  msg->retain = retain;
  msg->publisher = std::string(host_client_id);
  msg->received_ms = core::wall_ms();
  if (!properties.empty()) {
    msg->set_properties(std::move(properties));
  }
  msg->body.attach(ctx_->store);  // before it is shared: stored once, whoever queues it
  if (retain) {
    runtime_->send<core::RetainStore>(ctx_->retainer, core::RetainStore{msg, {}});
  }
  // One router per host thread: a thread's messages keep their order
  // (MQTT 4.6), as a session's do through the router of its scheduler.
  const auto& routers = ctx_->routers.routers;
  sched::Pid router = routers[std::hash<std::thread::id>{}(std::this_thread::get_id()) % routers.size()];
  runtime_->send<core::RoutePublish>(router, core::RoutePublish{std::move(msg), {}});
  published_.fetch_add(1, std::memory_order_relaxed);
  return mqtt::Ok{};
}

SubscriptionId HostHub::subscribe(std::string filter, Callback callback, mqtt::QoS qos) {
  std::shared_lock attach(attach_mu_);
  std::unique_lock subs(subs_mu_);
  SubscriptionId id = next_id_++;
  Subscription& s = subs_[id];
  s.filter = std::move(filter);
  s.qos = qos;
  s.callback = std::make_shared<const Callback>(std::move(callback));
  if (runtime_) {
    std::future<void> ready = spawn(id, s);
    subs.unlock();  // the callback thread may go on meanwhile
    ready.wait_for(route_wait);
  }
  return id;
}

void HostHub::unsubscribe(SubscriptionId id) {
  {
    std::shared_lock attach(attach_mu_);
    std::lock_guard subs(subs_mu_);
    auto it = subs_.find(id);
    if (it == subs_.end()) {
      return;
    }
    if (runtime_) {
      runtime_->exit(it->second.pid, sched::ExitReason::kill());
    }
    subs_.erase(it);
  }
  // A call of it under way ends first, so what it uses may go once we
  // return; from a callback itself (that call, or another) nothing waits.
  // Without attach_mu_: the callback may stop the broker meanwhile.
  if (std::this_thread::get_id() != thread_.get_id()) {
    std::unique_lock subs(subs_mu_);
    calling_done_.wait(subs, [&] { return calling_ != id; });
  }
}

HostCounters HostHub::counters() const {
  return HostCounters{published_.load(std::memory_order_relaxed), delivered_.load(std::memory_order_relaxed),
                      dropped_.load(std::memory_order_relaxed)};
}

void HostHub::deliver(SubscriptionId id, Message m) {
  {
    std::lock_guard lock(queue_mu_);
    if (queue_.size() >= queue_limit_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.emplace_back(id, std::move(m));
  }
  queue_cv_.notify_one();
}

void HostHub::run_callbacks() {
  std::unique_lock lock(queue_mu_);
  while (true) {
    queue_cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
    if (closing_) {
      return;
    }
    auto [id, m] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    std::shared_ptr<const Callback> callback;
    {
      std::lock_guard subs(subs_mu_);
      if (auto it = subs_.find(id); it != subs_.end()) {
        callback = it->second.callback;
        calling_ = id;
      }
    }
    if (callback) {
      // The host's fault ends neither this thread nor the other callbacks.
      try {
        (*callback)(m);
      } catch (const std::exception& e) {
        ACTORMQ_LOG_ERROR("subscription callback on " << m.topic << " threw: " << e.what());
      }
      delivered_.fetch_add(1, std::memory_order_relaxed);
      callback.reset();  // its captures go before unsubscribe() returns
      {
        std::lock_guard subs(subs_mu_);
        calling_ = 0;
      }
      calling_done_.notify_all();
    }
    lock.lock();
  }
}

core::Status HostService::start(core::BrokerContext& ctx, sched::Runtime& runtime) {
  hub_.attach(ctx, runtime);
  return mqtt::Ok{};
}

}  // namespace actormq::embed
