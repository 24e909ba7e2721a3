#pragma once
// The host program's side of one actormq::Broker: its callback
// subscriptions, its publishes and the thread its callbacks run on. It
// outlives the broker's runs: HostService attaches it to each run's
// context and detaches it at stop, and the subscriptions stay.
//
// Each subscription is a process of the running broker, a subscriber like
// a session: the routers deliver to it, it hands the message to the
// callback queue and goes on. The queue is bounded (drops beyond it are
// counted), so a callback that is slow never holds up a router.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

#include "actormq/broker.hpp"
#include "core/result.hpp"
#include "core/service.hpp"
#include "mqtt/constants.hpp"
#include "mqtt/properties.hpp"
#include "sched/pid.hpp"

namespace actormq::core {
struct BrokerContext;
}

namespace actormq::embed {

struct HostCounters {
  std::int64_t published = 0;
  std::int64_t delivered = 0;
  std::int64_t dropped = 0;
};

/// Every public member is thread-safe.
class HostHub {
 public:
  explicit HostHub(std::size_t queue_limit);
  /// Ends the callback thread once the callback under way returns; the
  /// messages still queued are not delivered.
  ~HostHub();
  HostHub(const HostHub&) = delete;
  HostHub& operator=(const HostHub&) = delete;

  /// A run of the broker starts: spawns a process for every subscription
  /// and returns once their routes are in place.
  void attach(core::BrokerContext& ctx, sched::Runtime& runtime);
  /// The run stops (its runtime still runs): ends those processes.
  void detach();

  [[nodiscard]] core::Status publish(std::string_view topic, std::string_view payload, mqtt::QoS qos, bool retain,
                                     mqtt::Properties properties = {});
  /// `filter` is a valid filter, not a shared one (the caller checks).
  /// Attached: returns once every router holds the route.
  SubscriptionId subscribe(std::string filter, Callback callback, mqtt::QoS qos);
  void unsubscribe(SubscriptionId id);
  HostCounters counters() const;

  /// From a subscription's process: queues `m` for the callback of `id`,
  /// or drops it when the queue is full.
  void deliver(SubscriptionId id, Message m);

 private:
  struct Subscription {
    std::string filter;
    mqtt::QoS qos;
    std::shared_ptr<const Callback> callback;
    sched::Pid pid;  // of the current run; null while detached
  };
  /// Under attach_mu_ (shared or exclusive) and subs_mu_, attached. Ready
  /// once every router holds its route.
  std::future<void> spawn(SubscriptionId id, Subscription& s);
  void run_callbacks();

  // Lock order: attach_mu_, then subs_mu_; queue_mu_ alone.
  mutable std::shared_mutex attach_mu_;  // exclusive: attach, detach
  core::BrokerContext* ctx_ = nullptr;
  sched::Runtime* runtime_ = nullptr;

  mutable std::mutex subs_mu_;
  std::map<SubscriptionId, Subscription> subs_;
  SubscriptionId next_id_ = 1;
  SubscriptionId calling_ = 0;  // whose callback runs now; 0: none
  std::condition_variable_any calling_done_;  // with subs_mu_

  const std::size_t queue_limit_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::pair<SubscriptionId, Message>> queue_;
  bool closing_ = false;

  std::atomic<std::int64_t> published_{0};
  std::atomic<std::int64_t> delivered_{0};
  std::atomic<std::int64_t> dropped_{0};
  std::thread thread_;  // last: starts once the rest exists
};

/// Attaches a HostHub to the broker's runs: added last, so its routes
/// reach the observers the cluster registers.
class HostService final : public core::Service {
 public:
  explicit HostService(HostHub& hub) : hub_(hub) {}
  std::string_view name() const override { return "host"; }
  [[nodiscard]] core::Status start(core::BrokerContext& ctx, sched::Runtime& runtime) override;
  void stop() override { hub_.detach(); }

 private:
  HostHub& hub_;
};

}  // namespace actormq::embed
