#include "core/faults.hpp"

#include <cstdlib>

#include "core/messages.hpp"
#include "mqtt/topic.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

namespace {

/// The crash topic's subscriber: whatever reaches it was published to the
/// crash topic, and its publisher ends as if its handler had thrown.
class CrashInjector : public sched::Process {
 public:
  explicit CrashInjector(std::string topic) : topic_(std::move(topic)) {}

 protected:
  void on_message(sched::Message& msg) override {
    auto* d = msg.as<Deliver>();
    // The router matched the route: the topic is ours. No publisher pid
    // (published by the broker itself): no session to crash.
    if (d == nullptr || !d->msg->publisher_pid) {
      return;
    }
    exit(d->msg->publisher_pid, sched::ExitReason::exception("injected fault on topic " + topic_));
  }

 private:
  std::string topic_;
};

}  // namespace

std::string FaultInjection::describe() const {
  std::string s;
  auto add = [&s](std::string part) {
    s += s.empty() ? "" : ", ";
    s += part;
  };
  if (!crash_topic.empty()) {
    add("a publish to " + crash_topic + " crashes its session");
  }
  if (handover_delay_ms != 0) {
    add("handovers held " + std::to_string(handover_delay_ms) + " ms");
  }
  if (retained_load_hold.count() != 0) {
    add("the retained load held " + std::to_string(retained_load_hold.count()) + " ms");
  }
  if (no_adoption) {
    add("evacuated sessions are not taken");
  }
  if (forward_delay_ms != 0) {
    add("what peers forward held " + std::to_string(forward_delay_ms) + " ms");
  }
  return s;
}

FaultInjection FaultInjection::read(const std::function<const char*(const char*)>& lookup) {
  FaultInjection f;
  if (const char* topic = lookup("ACTORMQ_TEST_CRASH_TOPIC")) {
    f.crash_topic = topic;
  }
  if (const char* ms = lookup("ACTORMQ_TEST_HANDOVER_DELAY_MS")) {
    f.handover_delay_ms = static_cast<std::uint32_t>(std::strtoul(ms, nullptr, 10));
  }
  if (const char* ms = lookup("ACTORMQ_TEST_RETAINED_LOAD_HOLD_MS")) {
    f.retained_load_hold = std::chrono::milliseconds(std::strtoul(ms, nullptr, 10));
  }
  if (const char* on = lookup("ACTORMQ_TEST_NO_ADOPTION")) {
    f.no_adoption = std::strtoul(on, nullptr, 10) != 0;
  }
  if (const char* ms = lookup("ACTORMQ_TEST_FORWARD_DELAY_MS")) {
    f.forward_delay_ms = static_cast<std::uint32_t>(std::strtoul(ms, nullptr, 10));
  }
  return f;
}

FaultInjection FaultInjection::from_environment() {
  return read([](const char* name) { return std::getenv(name); });
}

sched::Pid install_crash_topic(sched::Runtime& runtime, const std::string& topic,
                               std::span<const sched::Pid> routers) {
  if (!mqtt::is_valid_topic_name(topic)) {
    return {};  // a filter, say: no PUBLISH is to it, as when the topic was compared in place
  }
  sched::Pid injector = runtime.spawn(std::make_unique<CrashInjector>(topic));
  for (sched::Pid router : routers) {
    RouteAdd add;
    add.filter = SharedText(topic);
    add.session = injector;
    runtime.send<RouteAdd>(router, std::move(add));
  }
  return injector;
}

}  // namespace actormq::core
