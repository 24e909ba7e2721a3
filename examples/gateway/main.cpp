// A gateway that embeds actormq: a "driver" thread reads a sensor and
// publishes each reading into the broker; MQTT clients on the network read
// them, and send commands to gateway/cmd/<name>, which the gateway obeys.
//
//     gateway [--port N] [--self-test]
//
//     mosquitto_sub -p 1883 -t 'gateway/readings/#' -v
//     mosquitto_pub -p 1883 -t gateway/cmd/interval -m 250   # ms between readings
//     mosquitto_pub -p 1883 -t gateway/cmd/stop -m ''
//
// --self-test plays the operator itself (it publishes the commands) and
// exits 0 once the readings flowed and the commands were obeyed.
#include <actormq/broker.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

std::atomic<int> interval_ms{100};
std::atomic<bool> stop_requested{false};

/// The device driver: one reading per interval until told to stop.
void driver(actormq::Broker& broker) {
  double temperature = 20.0;
  while (!stop_requested.load()) {
    temperature += 0.1;
    // QoS 1 and retained: a client that subscribes later gets the last value.
    actormq::Status sent = broker.publish("gateway/readings/temperature", std::to_string(temperature),
                                          actormq::QoS::at_least_once, true);
    if (!sent) {
      std::fprintf(stderr, "gateway: %s\n", sent.text().c_str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms.load()));
  }
}

/// Commands arrive on the library's callback thread: keep them short.
void on_command(const actormq::Message& m) {
  if (m.topic == "gateway/cmd/interval") {
    interval_ms.store(std::max(10, std::atoi(m.payload.c_str())));
    std::printf("gateway: interval now %d ms\n", interval_ms.load());
  } else if (m.topic == "gateway/cmd/stop") {
    stop_requested.store(true);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 1883;
  bool self_test = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--self-test") == 0) {
      self_test = true;
    }
  }
  // The same JSON as actormq's config file.
  std::string config = R"({"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": )" + std::to_string(port) +
                       R"(}], "durability": "none", "log_level": "warning"})";
  try {
    actormq::Broker broker = actormq::Broker::from_json(config);
    std::atomic<int> readings{0};
    broker.subscribe("gateway/cmd/#", on_command, actormq::QoS::at_least_once);
    broker.subscribe("gateway/readings/+", [&readings](const actormq::Message&) { readings.fetch_add(1); });
    if (actormq::Status started = broker.start(); !started) {
      std::fprintf(stderr, "gateway: %s\n", started.text().c_str());
      return 1;
    }
    std::printf("gateway: broker on port %u\n", broker.ports().at(0));
    std::thread driver_thread(driver, std::ref(broker));
    if (self_test) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      (void)broker.publish("gateway/cmd/interval", "20");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      (void)broker.publish("gateway/cmd/stop", "");
    }
    driver_thread.join();
    actormq::Counters c = broker.counters();
    broker.stop();
    std::printf("gateway: %d readings seen, %lld published, %lld callback calls\n", readings.load(),
                static_cast<long long>(c.host_published), static_cast<long long>(c.host_delivered));
    return readings.load() > 0 && interval_ms.load() == 20 ? 0 : 1;
  } catch (const actormq::Error& e) {
    std::fprintf(stderr, "gateway: %s\n", e.what());
    return 1;
  }
}
