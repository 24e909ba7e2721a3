// Broker services (core/service.hpp): when they start and stop, and what a
// failing one leaves behind. Each test runs a real broker on one scheduler
// and one loopback listener on an ephemeral port.
#include "core/broker.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/broker_context.hpp"
#include "sched/runtime.hpp"
#include "tests/persist/test_dir.hpp"
#include "tests/sched/test_process.hpp"

namespace actormq::core {
namespace {

Config small_config() {
  Config c;
  c.listeners.resize(1);
  c.listeners[0].bind = "127.0.0.1";
  c.listeners[0].port = 0;
  c.schedulers = 1;
  c.durability = Durability::none;
  c.data_dir = "none";
  return c;
}

/// What the services of one test saw, in order.
struct Journal {
  std::vector<std::string> events;
};

/// Records start, stop and reload, and what the broker had ready at start.
class Recorder : public Service {
 public:
  Recorder(std::string name, Journal& journal, const Broker& broker)
      : name_(std::move(name)), journal_(journal), broker_(broker) {}

  std::optional<std::string> fail_start;
  std::optional<std::string> fail_reload;
  std::string cluster_cookie;  ///< ctx.cluster_cookie at start
  /// Set from the process it spawns at start, as that process ends.
  std::shared_ptr<std::atomic<bool>> process_ended = std::make_shared<std::atomic<bool>>(false);

  std::string_view name() const override { return name_; }

  Status start(BrokerContext& ctx, sched::Runtime& runtime) override {
    journal_.events.push_back("start " + name_);
    if (fail_start) {
      return Failure{*fail_start};
    }
    // The routers, the retainer and the store are there; no listener is.
    CHECK(!ctx.routers.routers.empty());
    CHECK(ctx.retainer.valid());
    CHECK(runtime.alive(ctx.retainer));
    CHECK((ctx.store != nullptr) == persistence_enabled(broker_.config()));
    CHECK(broker_.ports().empty());
    cluster_cookie = ctx.cluster_cookie;
    ctx_ = &ctx;
    runtime_ = &runtime;
    process_ended = std::make_shared<std::atomic<bool>>(false);  // a start after a failed one
    auto ended = process_ended;
    runtime.spawn(std::make_unique<sched::testing::Fn>([](sched::testing::Fn&, sched::Message&) {},
                                                       [ended](sched::testing::Fn&, const sched::ExitReason&) {
                                                         ended->store(true);
                                                       }));
    return mqtt::Ok{};
  }

  void stop() override {
    journal_.events.push_back("stop " + name_);
    // Before the runtime shuts down: the broker's processes still run.
    REQUIRE(runtime_ != nullptr);
    CHECK(runtime_->alive(ctx_->retainer));
    CHECK(!process_ended->load());
  }

  Status reload() override {
    journal_.events.push_back("reload " + name_);
    if (fail_reload) {
      return Failure{*fail_reload};
    }
    return mqtt::Ok{};
  }

 private:
  std::string name_;
  Journal& journal_;
  const Broker& broker_;
  BrokerContext* ctx_ = nullptr;
  sched::Runtime* runtime_ = nullptr;
};

Recorder& add(Broker& broker, Journal& journal, const std::string& name) {
  auto service = std::make_unique<Recorder>(name, journal, broker);
  Recorder& r = *service;
  broker.add_service(std::move(service));
  return r;
}

}  // namespace

TEST_CASE("services start in the order added, before the listeners, and stop in reverse") {
  Journal journal;
  Broker broker(small_config());
  Recorder& a = add(broker, journal, "a");
  add(broker, journal, "b");
  add(broker, journal, "c");
  REQUIRE(broker.start().ok());
  CHECK(broker.ports().size() == 1);
  CHECK(journal.events == std::vector<std::string>{"start a", "start b", "start c"});
  broker.stop();
  CHECK(journal.events ==
        std::vector<std::string>{"start a", "start b", "start c", "stop c", "stop b", "stop a"});
  CHECK(a.process_ended->load());  // the runtime ended what the service spawned
  broker.stop();                   // idempotent: no service stops twice
  CHECK(journal.events.size() == 6);
}

TEST_CASE("a service starts after the store opens") {
  persist::test::TempDir dir;
  Config config = small_config();
  config.durability = Durability::batch;
  config.data_dir = dir.sub("data");
  Journal journal;
  Broker broker(std::move(config));
  add(broker, journal, "a");
  REQUIRE(broker.start().ok());  // Recorder::start checks ctx.store
  broker.stop();
  CHECK(journal.events == std::vector<std::string>{"start a", "stop a"});
}

TEST_CASE("a service that fails to start fails the broker's start and the broker cleans up") {
  Journal journal;
  Broker broker(small_config());
  Recorder& a = add(broker, journal, "a");
  Recorder& b = add(broker, journal, "b");
  add(broker, journal, "c");
  b.fail_start = "cannot bind 127.0.0.1:4370";
  auto started = broker.start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().text() == "service b: cannot bind 127.0.0.1:4370");
  // a is stopped again; b (failed) and c (never started) are not stopped.
  CHECK(journal.events == std::vector<std::string>{"start a", "start b", "stop a"});
  CHECK(a.process_ended->load());  // the runtime is gone with what it ran
  CHECK(broker.ports().empty());   // no listener opened

  // Nothing is left over: the same broker starts once the service can.
  journal.events.clear();
  b.fail_start.reset();
  REQUIRE(broker.start().ok());
  CHECK(broker.ports().size() == 1);
  broker.stop();
  CHECK(journal.events ==
        std::vector<std::string>{"start a", "start b", "start c", "stop c", "stop b", "stop a"});
}

TEST_CASE("reload_services reloads every running service and names those that failed") {
  Journal journal;
  Broker broker(small_config());
  add(broker, journal, "a");
  Recorder& b = add(broker, journal, "b");
  add(broker, journal, "c");
  CHECK(broker.reload_services().ok());  // not started: nothing to reload
  CHECK(journal.events.empty());
  REQUIRE(broker.start().ok());
  journal.events.clear();
  b.fail_reload = "bridges[0].address: not a host:port";
  auto reloaded = broker.reload_services();
  REQUIRE_FALSE(reloaded.ok());
  CHECK(reloaded.error().messages() == std::vector<std::string>{"service b: bridges[0].address: not a host:port"});
  CHECK(journal.events == std::vector<std::string>{"reload a", "reload b", "reload c"});
  broker.stop();
}

TEST_CASE("the cluster cookie is read at start for the services, and a bad cookie file stops the start") {
  persist::test::TempDir dir;
  const std::string cookie = dir.sub("cookie");
  std::ofstream(cookie) << "secret\n";
  REQUIRE(::chmod(cookie.c_str(), 0600) == 0);
  Config config = small_config();
  config.cluster.emplace();
  config.cluster->node_name = "n1";
  config.cluster->cookie_file = cookie;
  Journal journal;
  {
    Broker broker(config);
    Recorder& a = add(broker, journal, "a");
    REQUIRE(broker.start().ok());
    CHECK(a.cluster_cookie == "secret");
    broker.stop();
  }
  {
    Broker single(small_config());
    Recorder& a = add(single, journal, "a");
    REQUIRE(single.start().ok());
    CHECK(a.cluster_cookie.empty());
    single.stop();
  }
  journal.events.clear();
  REQUIRE(::chmod(cookie.c_str(), 0644) == 0);
  Broker broker(config);
  add(broker, journal, "a");
  auto started = broker.start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().text() == "cluster.cookie_file: " + cookie + ": group or others may access it (mode 0644); "
                                  "the cookie is the cluster's password: chmod 600 " + cookie);
  CHECK(journal.events.empty());  // before any service or listener
  CHECK(broker.ports().empty());
}

}  // namespace actormq::core
