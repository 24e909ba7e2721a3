// actormq::Broker, the library API (include/actormq/broker.hpp), as a host
// program uses it: several brokers in one process, publishes from host
// threads, callback subscriptions, MQTT clients over loopback, stop and
// restart. Every wait is bounded.
#include "actormq/broker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

namespace {

using namespace std::chrono_literals;

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string config_on(std::uint16_t port, const std::string& extra = "") {
  return R"({"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": )" + std::to_string(port) +
         R"(}], "durability": "none", "schedulers": 2, "log_level": "warning")" + extra + "}";
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) {
      return false;
    }
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

/// Topics received by callbacks, thread-safe.
struct Inbox {
  std::mutex mu;
  std::vector<actormq::Message> messages;
  actormq::Callback callback() {
    return [this](const actormq::Message& m) {
      std::lock_guard lock(mu);
      messages.push_back(m);
    };
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    return messages.size();
  }
  std::multiset<std::string> topics() {
    std::lock_guard lock(mu);
    std::multiset<std::string> out;
    for (const auto& m : messages) {
      out.insert(m.topic);
    }
    return out;
  }
};

/// A raw MQTT 3.1.1 client: CONNECT, then wait for CONNACK or EOF.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() { ::close(fd_); }

  /// Sends CONNECT (clean session, keepalive 60) and reads the CONNACK.
  bool handshake(const std::string& client_id) {
    std::string body = std::string("\x00\x04MQTT\x04\x02\x00\x3c", 10);
    body += static_cast<char>(client_id.size() >> 8);
    body += static_cast<char>(client_id.size() & 0xff);
    body += client_id;
    std::string packet(1, '\x10');
    packet.push_back(static_cast<char>(body.size()));
    packet.append(body);
    if (!connected_ || ::send(fd_, packet.data(), packet.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(packet.size())) {
      return false;
    }
    std::string connack = read(4, 5000);
    return connack == std::string("\x20\x02\x00\x00", 4);
  }
  /// Sends a 3.1.1 CONNECT with these credentials (none when empty); the
  /// CONNACK's return code, or -1 without one.
  int connect_code(const std::string& client_id, const std::string& username, const std::string& password) {
    std::uint8_t flags = 0x02;
    std::string payload = field(client_id);
    if (!username.empty()) {
      flags |= 0x80;
      payload += field(username);
    }
    if (!password.empty()) {
      flags |= 0x40;
      payload += field(password);
    }
    std::string body = std::string("\x00\x04MQTT\x04", 7);
    body.push_back(static_cast<char>(flags));
    body += std::string("\x00\x3c", 2) + payload;
    if (!send_packet('\x10', body)) {
      return -1;
    }
    std::string connack = read(4, 5000);
    return connack.size() == 4 && connack[0] == '\x20' ? static_cast<unsigned char>(connack[3]) : -1;
  }
  /// SUBSCRIBE to one filter at QoS 0; the SUBACK's return code, or -1.
  int subscribe_code(const std::string& filter) {
    if (!send_packet('\x82', std::string("\x00\x01", 2) + field(filter) + std::string(1, '\x00'))) {
      return -1;
    }
    std::string suback = read(5, 5000);
    return suback.size() == 5 && suback[0] == '\x90' ? static_cast<unsigned char>(suback[4]) : -1;
  }
  bool publish(const std::string& topic, const std::string& payload) {
    return send_packet('\x30', field(topic) + payload);
  }
  /// The topics of the QoS 0 PUBLISHes (short ones) read within `ms`.
  std::vector<std::string> topics_within(int ms) {
    std::vector<std::string> topics;
    std::string in = read(4096, ms);
    std::size_t at = 0;
    while (at + 4 <= in.size() && (static_cast<unsigned char>(in[at]) & 0xF0) == 0x30) {
      std::size_t len = static_cast<unsigned char>(in[at + 1]);
      std::size_t tlen = (static_cast<unsigned char>(in[at + 2]) << 8) | static_cast<unsigned char>(in[at + 3]);
      topics.push_back(in.substr(at + 4, tlen));
      at += 2 + len;
    }
    return topics;
  }
  /// True once the broker closes the connection (EOF or reset) within `ms`.
  bool closed_within(int ms) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char c;
        if (::recv(fd_, &c, 1, 0) <= 0) {
          return true;
        }
      }
    }
    return false;
  }

 private:
  static std::string field(const std::string& text) {
    std::string out;
    out.push_back(static_cast<char>(text.size() >> 8));
    out.push_back(static_cast<char>(text.size() & 0xff));
    return out + text;
  }
  // Packets here stay under 128 bytes: a one-byte remaining length.
  bool send_packet(char type, const std::string& body) {
    std::string packet(1, type);
    packet.push_back(static_cast<char>(body.size()));
    packet.append(body);
    return connected_ && ::send(fd_, packet.data(), packet.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(packet.size());
  }
  std::string read(std::size_t n, int ms) {
    std::string out;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (out.size() < n && std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char buf[64];
        ssize_t got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
        if (got <= 0) {
          break;
        }
        out.append(buf, static_cast<std::size_t>(got));
      }
    }
    return out;
  }

  int fd_;
  bool connected_ = false;
};

}  // namespace

TEST_CASE("embed: a configuration that does not parse throws with the messages the binary prints") {
  try {
    (void)actormq::Broker::from_json(R"({"max_inflight_messages": "x", "receive_maximum": -4})");
    FAIL("no exception");
  } catch (const actormq::Error& e) {
    CHECK(e.messages() == std::vector<std::string>{"max_inflight_messages: must be an integer, 1..65535",
                                                   "receive_maximum: must be 1..65535"});
    CHECK(std::string(e.what()) == "max_inflight_messages: must be an integer, 1..65535\nreceive_maximum: must be 1..65535");
  }
  CHECK_THROWS_WITH_AS((void)actormq::Broker::from_json(R"({"listeners": []})"),
                       "listeners: must contain at least one listener", actormq::Error);
  CHECK_THROWS_WITH_AS((void)actormq::Broker::from_file("/nonexistent/actormq.json"),
                       "config: cannot read /nonexistent/actormq.json: No such file or directory", actormq::Error);
}

TEST_CASE("embed: two brokers in one process, each with its own port, config and subscribers") {
  std::uint16_t pa = free_port();
  std::uint16_t pb = free_port();
  Inbox in_a;  // before the brokers: their callbacks end first
  Inbox in_b;
  actormq::Broker a = actormq::Broker::from_json(config_on(pa));
  actormq::Broker b = actormq::Broker::from_json(config_on(pb, R"(, "max_topic_levels": 2)"));
  a.subscribe("t/#", in_a.callback());
  b.subscribe("t/#", in_b.callback());
  REQUIRE(a.start().ok());
  REQUIRE(b.start().ok());
  CHECK(a.ports() == std::vector<std::uint16_t>{pa});
  CHECK(b.ports() == std::vector<std::uint16_t>{pb});

  CHECK(a.publish("t/x/y", "a").ok());
  // b's own limit: three levels are too many there, not in a.
  actormq::Status too_deep = b.publish("t/x/y", "b");
  CHECK_FALSE(too_deep.ok());
  CHECK(b.publish("t/x", "b").ok());
  REQUIRE(wait_until([&] { return in_a.size() == 1 && in_b.size() == 1; }));
  std::this_thread::sleep_for(50ms);  // nothing more arrives
  CHECK(in_a.topics() == std::multiset<std::string>{"t/x/y"});
  CHECK(in_b.topics() == std::multiset<std::string>{"t/x"});

  // A client of one broker is a client of that one only.
  RawClient c(pa);
  REQUIRE(c.handshake("c1"));
  REQUIRE(wait_until([&] { return a.counters().clients_connected == 1; }));
  CHECK(b.counters().clients_connected == 0);
  a.stop();
  CHECK(b.publish("t/z", "still").ok());
  CHECK(wait_until([&] { return in_b.size() == 2; }));
  b.stop();
}

TEST_CASE("embed: publishes from several host threads all arrive, each thread's in order") {
  constexpr int threads = 4;
  constexpr int per_thread = 2000;
  std::mutex mu;
  std::map<std::string, std::vector<int>> seen;  // topic -> sequence numbers
  actormq::Broker broker = actormq::Broker::from_json(config_on(free_port()));
  REQUIRE(broker.start().ok());
  broker.subscribe("load/+", [&](const actormq::Message& m) {
    std::lock_guard lock(mu);
    seen[m.topic].push_back(std::stoi(m.payload));
  });
  std::vector<std::thread> publishers;
  for (int t = 0; t < threads; ++t) {
    publishers.emplace_back([&broker, t] {
      for (int i = 0; i < per_thread; ++i) {
        REQUIRE(broker.publish("load/" + std::to_string(t), std::to_string(i), actormq::QoS::at_least_once).ok());
      }
    });
  }
  for (std::thread& p : publishers) {
    p.join();
  }
  REQUIRE(wait_until(
      [&] {
        std::lock_guard lock(mu);
        std::size_t n = 0;
        for (const auto& [topic, v] : seen) {
          n += v.size();
        }
        return n == threads * per_thread;
      },
      20000ms));
  std::lock_guard lock(mu);
  for (int t = 0; t < threads; ++t) {
    const std::vector<int>& v = seen["load/" + std::to_string(t)];
    REQUIRE(v.size() == per_thread);
    for (int i = 0; i < per_thread; ++i) {
      REQUIRE(v[static_cast<std::size_t>(i)] == i);
    }
  }
  CHECK(broker.counters().host_published == threads * per_thread);
  CHECK(broker.counters().host_dropped == 0);
}

TEST_CASE("embed: callback subscriptions match by MQTT wildcards, get retained messages and end on unsubscribe") {
  Inbox plus;
  Inbox hash;
  Inbox all;
  Inbox exact;
  Inbox retained;
  actormq::Broker broker = actormq::Broker::from_json(config_on(free_port()));
  REQUIRE(broker.start().ok());
  REQUIRE(broker.publish("r/kept", "old", actormq::QoS::at_most_once, true).ok());
  auto plus_id = broker.subscribe("a/+/c", plus.callback());
  broker.subscribe("a/#", hash.callback());
  broker.subscribe("#", all.callback());
  broker.subscribe("x/y", exact.callback());
  // The retained message arrives to a new subscription, flagged so.
  broker.subscribe("r/+", retained.callback());
  REQUIRE(wait_until([&] { return retained.size() == 1; }));
  {
    std::lock_guard lock(retained.mu);
    CHECK(retained.messages[0].payload == "old");
    CHECK(retained.messages[0].retain);
  }
  for (const char* t : {"a/b/c", "a/b/d", "a", "x/y", "x/y/z", "$SYS/fake"}) {
    REQUIRE(broker.publish(t, "p").ok());
  }
  CHECK_FALSE(broker.publish("a/+/c", "p").ok());  // a filter is no topic name
  CHECK_FALSE(broker.publish("", "p").ok());
  CHECK_THROWS_AS(broker.subscribe("a/#/c", plus.callback()), actormq::Error);
  REQUIRE(wait_until([&] { return all.size() == 6 && exact.size() == 1 && hash.size() == 3 && plus.size() == 1; }));
  std::this_thread::sleep_for(50ms);
  CHECK(plus.topics() == std::multiset<std::string>{"a/b/c"});
  CHECK(hash.topics() == std::multiset<std::string>{"a", "a/b/c", "a/b/d"});
  // "#" matches no topic beginning with '$' (MQTT 4.7.2); the retained one counts.
  CHECK(all.topics() == std::multiset<std::string>{"a", "a/b/c", "a/b/d", "r/kept", "x/y", "x/y/z"});
  CHECK(exact.topics() == std::multiset<std::string>{"x/y"});

  broker.unsubscribe(plus_id);
  broker.unsubscribe(plus_id);  // twice: nothing
  REQUIRE(broker.publish("a/b/c", "again").ok());
  REQUIRE(wait_until([&] { return hash.size() == 4; }));
  std::this_thread::sleep_for(50ms);
  CHECK(plus.size() == 1);
}

TEST_CASE("embed: a callback that blocks holds up neither the broker nor other clients, and drops beyond the queue are counted") {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> calls{0};
  actormq::Broker broker = actormq::Broker::from_json(config_on(free_port()));
  REQUIRE(broker.start().ok());
  broker.subscribe("slow/#", [&](const actormq::Message&) {
    calls.fetch_add(1);
    released.wait();
  });
  constexpr int n = static_cast<int>(actormq::Broker::callback_queue_limit) + 1000;
  for (int i = 0; i < n; ++i) {
    REQUIRE(broker.publish("slow/t", "x").ok());
  }
  // The broker still serves: a client connects while the callback blocks.
  RawClient c(broker.ports().at(0));
  CHECK(c.handshake("while-blocked"));
  // One call is under way, the queue is full, the rest were dropped.
  REQUIRE(wait_until([&] { return broker.counters().host_dropped >= 1000 - 1; }, 20000ms));
  release.set_value();
  REQUIRE(wait_until([&] { return broker.counters().host_delivered + broker.counters().host_dropped == n; }, 20000ms));
  CHECK(calls.load() == broker.counters().host_delivered);
}

TEST_CASE("embed: stop with clients connected closes them, and a restart serves again with the same subscriptions") {
  std::uint16_t port = free_port();
  Inbox inbox;
  actormq::Broker broker = actormq::Broker::from_json(config_on(port));
  broker.subscribe("s/#", inbox.callback());
  CHECK_FALSE(broker.publish("s/1", "not running").ok());
  REQUIRE(broker.start().ok());
  CHECK(broker.start().ok());  // running already: nothing
  std::vector<std::unique_ptr<RawClient>> clients;
  for (const char* id : {"c0", "c1", "c2"}) {
    clients.push_back(std::make_unique<RawClient>(port));
    REQUIRE(clients.back()->handshake(id));
  }
  REQUIRE(wait_until([&] { return broker.counters().clients_connected == 3; }));
  REQUIRE(broker.publish("s/1", "one").ok());
  REQUIRE(wait_until([&] { return inbox.size() == 1; }));

  broker.stop();
  broker.stop();  // idempotent
  CHECK_FALSE(broker.running());
  CHECK(broker.ports().empty());
  for (auto& c : clients) {
    CHECK(c->closed_within(5000));
  }
  CHECK_FALSE(broker.publish("s/2", "stopped").ok());

  REQUIRE(broker.start().ok());
  CHECK(broker.counters().clients_connected == 0);  // a new run
  RawClient again(port);
  CHECK(again.handshake("c-again"));
  REQUIRE(broker.publish("s/3", "three").ok());
  REQUIRE(wait_until([&] { return inbox.size() == 2; }));
  CHECK(inbox.topics() == std::multiset<std::string>{"s/1", "s/3"});
  CHECK(broker.counters().host_published == 2);
}

TEST_CASE("embed: unsubscribe waits for the call of its callback under way, and a callback may unsubscribe itself") {
  std::atomic<bool> inside{false};
  std::atomic<int> calls{0};
  actormq::Broker broker = actormq::Broker::from_json(config_on(free_port()));
  REQUIRE(broker.start().ok());
  auto slow = broker.subscribe("u/slow", [&](const actormq::Message&) {
    inside.store(true);
    std::this_thread::sleep_for(300ms);
    inside.store(false);
  });
  REQUIRE(broker.publish("u/slow", "x").ok());
  REQUIRE(wait_until([&] { return inside.load(); }));
  broker.unsubscribe(slow);
  CHECK_FALSE(inside.load());

  actormq::SubscriptionId self = 0;
  std::atomic<bool> subscribed{false};
  self = broker.subscribe("u/once", [&](const actormq::Message&) {
    calls.fetch_add(1);
    REQUIRE(wait_until([&] { return subscribed.load(); }));
    broker.unsubscribe(self);  // from its own call: returns at once
  });
  subscribed.store(true);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(broker.publish("u/once", "x").ok());
  }
  REQUIRE(wait_until([&] { return broker.counters().host_delivered >= 2; }));
  std::this_thread::sleep_for(100ms);
  CHECK(calls.load() == 1);
}

TEST_CASE("embed: the host's hooks decide connects, publishes, subscriptions and deliveries before the rules") {
  std::uint16_t port = free_port();
  Inbox seen;
  actormq::Broker broker = actormq::Broker::from_json(config_on(port, R"(, "allow_anonymous": false)"));
  std::atomic<int> asked{0};
  broker.on_authenticate([&](const actormq::ConnectRequest& r) {
    ++asked;
    if (r.client_id == "blocked") {
      return actormq::Decision::deny;
    }
    if (r.username != nullptr && *r.username == "dev" && r.password != nullptr && *r.password == "pw") {
      return actormq::Decision::allow;
    }
    return actormq::Decision::defer;
  });
  broker.on_authorize([](const actormq::AccessRequest& a) {
    if (a.topic.starts_with("secret")) {
      return actormq::Decision::deny;
    }
    if (a.access == actormq::Access::receive && a.topic == "open/hidden") {
      return actormq::Decision::deny;
    }
    return actormq::Decision::defer;
  });
  broker.subscribe("#", seen.callback());
  REQUIRE(broker.start().ok());

  CHECK(RawClient(port).connect_code("anon", "", "") == 5);  // deferred: allow_anonymous false
  CHECK(RawClient(port).connect_code("blocked", "dev", "pw") == 4);  // denied first
  RawClient dev(port);
  REQUIRE(dev.connect_code("d1", "dev", "pw") == 0);
  CHECK(asked.load() == 3);
  CHECK(dev.subscribe_code("secret/#") == 0x80);
  CHECK(dev.subscribe_code("open/#") == 0x00);
  // A denied publish is dropped (3.1.1 cannot refuse it); the others are routed.
  REQUIRE(dev.publish("secret/x", "s"));
  REQUIRE(dev.publish("open/x", "o"));
  REQUIRE(wait_until([&] { return seen.size() == 1; }));
  CHECK(seen.topics() == std::multiset<std::string>{"open/x"});
  // A delivery the hook denies does not reach the client; the host's own does.
  CHECK(broker.publish("open/hidden", "h").ok());
  CHECK(broker.publish("open/y", "y").ok());
  std::vector<std::string> got = dev.topics_within(500);
  CHECK(got == std::vector<std::string>{"open/x", "open/y"});
  broker.stop();
}

TEST_CASE("embed: a publish carries MQTT 5 properties to callbacks, and properties MQTT cannot carry are refused") {
  Inbox inbox;
  actormq::Broker broker = actormq::Broker::from_json(config_on(free_port()));
  REQUIRE(broker.start().ok());
  broker.subscribe("p/#", inbox.callback());
  actormq::Properties props;
  props.payload_utf8 = true;
  props.message_expiry_interval = 600;
  props.content_type = "text/plain";
  props.response_topic = "p/reply";
  props.correlation_data = std::string("\x00\x01\xff", 3);
  props.user_properties = {{"k", "v1"}, {"k", "v2"}, {"unit", "°C"}};
  REQUIRE(broker.publish("p/1", "21.5", actormq::QoS::at_least_once, false, props).ok());
  REQUIRE(broker.publish("p/2", "plain").ok());
  REQUIRE(wait_until([&] { return inbox.size() == 2; }));
  {
    std::lock_guard lock(inbox.mu);
    const actormq::Properties& got = inbox.messages[0].properties;
    CHECK(got.payload_utf8 == std::optional<bool>(true));
    REQUIRE(got.message_expiry_interval.has_value());
    CHECK(*got.message_expiry_interval <= 600);  // what is left of it
    CHECK(*got.message_expiry_interval >= 599);
    CHECK(got.content_type == std::optional<std::string>("text/plain"));
    CHECK(got.response_topic == std::optional<std::string>("p/reply"));
    CHECK(got.correlation_data == std::optional<std::string>(std::string("\x00\x01\xff", 3)));
    CHECK(got.user_properties == props.user_properties);
    const actormq::Properties& none = inbox.messages[1].properties;
    CHECK_FALSE(none.payload_utf8.has_value());
    CHECK_FALSE(none.message_expiry_interval.has_value());
    CHECK_FALSE(none.content_type.has_value());
    CHECK(none.user_properties.empty());
  }

  actormq::Properties bad;
  bad.response_topic = "p/+";  // a filter, not a topic name
  actormq::Status refused = broker.publish("p/3", "x", actormq::QoS::at_most_once, false, bad);
  CHECK_FALSE(refused.ok());
  CHECK(refused.text().find("response_topic") != std::string::npos);
  bad = {};
  bad.content_type = std::string("a\0b", 3);  // U+0000 is not MQTT UTF-8
  CHECK(broker.publish("p/3", "x", actormq::QoS::at_most_once, false, bad).text().find("content_type") !=
        std::string::npos);
  bad = {};
  bad.user_properties = {{"k", "\xff\xfe"}};  // not UTF-8
  CHECK_FALSE(broker.publish("p/3", "x", actormq::QoS::at_most_once, false, bad).ok());
  bad = {};
  bad.correlation_data = std::string(70000, 'x');
  CHECK(broker.publish("p/3", "x", actormq::QoS::at_most_once, false, bad).text().find("65535") != std::string::npos);
  std::this_thread::sleep_for(50ms);
  CHECK(inbox.size() == 2);  // nothing refused was published
}
