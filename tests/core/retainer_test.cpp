// The retainer process on a stepped runtime, memory only: one message per
// topic, wildcard lookups, deletion by an empty payload, expiry, and lookups
// held while the stored messages are still loading.
#include "core/routing/retainer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "tests/sched/test_process.hpp"

namespace actormq::core {
namespace {
using mqtt::QoS;
using sched::Pid;
using sched::testing::Fn;

struct Fixture {
  sched::Runtime rt{sched::testing::stepped()};
  Metrics metrics;
  Pid retainer;
  Pid session;
  std::vector<Deliver> got;

  explicit Fixture(bool loading = false) {
    retainer = rt.spawn(std::make_unique<Retainer>(metrics, nullptr, loading));
    session = rt.spawn(std::make_unique<Fn>([this](Fn&, sched::Message& m) {
      if (auto* d = m.as<Deliver>()) {
        got.push_back(std::move(*d));
      }
    }));
  }
  static std::shared_ptr<AppMessage> message(std::string topic, std::string payload, QoS qos = QoS::at_least_once) {
    auto msg = new_app_message();
    msg->topic = std::move(topic);
    msg->payload = mqtt::SharedBytes::copy_of(std::string_view(payload));
    msg->qos = qos;
    msg->retain = true;
    return msg;
  }
  void retain(std::string topic, std::string payload, QoS qos = QoS::at_least_once) {
    rt.send<RetainStore>(retainer, RetainStore{message(std::move(topic), std::move(payload), qos), {}});
  }
  /// The topics (and payloads) a subscription to `filter` is sent, sorted.
  std::vector<std::string> lookup(std::string filter, QoS max_qos = QoS::exactly_once) {
    got.clear();
    SubInfo info;
    info.max_qos = max_qos;
    rt.send<RetainQuery>(retainer, RetainQuery{std::move(filter), session, info});
    rt.run_until_idle();
    std::vector<std::string> out;
    for (const Deliver& d : got) {
      out.push_back(d.msg->topic + "=" + std::string(d.msg->payload.view()));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};
}  // namespace

TEST_CASE("retainer: one message per topic, found by wildcard, sent with RETAIN and the lower QoS") {
  Fixture f;
  f.retain("a/b", "1");
  f.retain("a/b", "2");  // replaces
  f.retain("a/c", "3", QoS::exactly_once);
  f.retain("x", "4");
  f.rt.run_until_idle();
  CHECK(f.metrics.get(Counter::retained_messages) == 3);
  CHECK(f.lookup("a/+", QoS::at_least_once) == std::vector<std::string>{"a/b=2", "a/c=3"});
  for (const Deliver& d : f.got) {
    CHECK(d.retain);
    CHECK(d.qos == QoS::at_least_once);
  }
  CHECK(f.lookup("#").size() == 3);
  CHECK(f.lookup("a/b") == std::vector<std::string>{"a/b=2"});
  CHECK(f.lookup("b/#").empty());
}

TEST_CASE("retainer: an empty payload deletes the topic's message") {
  Fixture f;
  f.retain("a", "1");
  f.retain("b", "2");
  f.retain("a", "");
  f.rt.run_until_idle();
  CHECK(f.lookup("#") == std::vector<std::string>{"b=2"});
  CHECK(f.metrics.get(Counter::retained_messages) == 1);
}

TEST_CASE("retainer: a message past its expiry is not sent and is deleted") {
  Fixture f;
  auto old = Fixture::message("e", "old");
  mqtt::Properties props;
  props.message_expiry_interval = 1;
  old->set_properties(props);
  old->received_ms = wall_ms() - 5000;  // arrived five seconds ago, expired after one
  f.rt.send<RetainStore>(f.retainer, RetainStore{old, {}});
  f.retain("f", "fresh");
  f.rt.run_until_idle();
  CHECK(f.lookup("#") == std::vector<std::string>{"f=fresh"});
  CHECK(f.metrics.get(Counter::retained_messages) == 1);
}

TEST_CASE("retainer: while loading, lookups wait, and what clients stored meanwhile wins over the load") {
  Fixture f(true);
  f.retain("live", "new");
  f.retain("gone", "");  // deleted during the load: the loaded copy must not come back
  CHECK(f.lookup("#").empty());  // held, not answered
  auto loaded = std::make_unique<LoadedRetained>();
  (void)loaded->index.set("live", Fixture::message("live", "stored"));
  (void)loaded->index.set("gone", Fixture::message("gone", "stored"));
  (void)loaded->index.set("kept", Fixture::message("kept", "stored"));
  f.got.clear();
  f.rt.send<RetainedLoaded>(f.retainer, RetainedLoaded{std::move(loaded), std::chrono::steady_clock::now()});
  f.rt.run_until_idle();
  std::vector<std::string> answered;
  for (const Deliver& d : f.got) {
    answered.push_back(d.msg->topic);
  }
  std::sort(answered.begin(), answered.end());
  CHECK(answered == std::vector<std::string>{"kept", "live"});  // the held lookup, answered now
  CHECK(f.lookup("#") == std::vector<std::string>{"kept=stored", "live=new"});
}

}  // namespace actormq::core
