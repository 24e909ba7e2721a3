// Connection over a real socketpair, owned by a process on a stepped runtime:
// framing across arbitrary splits, the parse-error and peer-gone reports,
// close from inside a report, input held and replayed, the slot given back.
#include "core/session/connection.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/encode.hpp"
#include "tests/sched/test_process.hpp"

namespace actormq::core {
namespace {

using mqtt::ProtocolVersion;

/// What the owner saw, kept by the test (the process belongs to the runtime).
struct Seen {
  std::vector<std::string> packets;  ///< "CONNECT", or a PUBLISH's topic
  int parse_errors = 0;
  mqtt::ErrorCode error_code = mqtt::ErrorCode::truncated;
  ProtocolVersion error_version = ProtocolVersion::v3_1;
  std::vector<ConnectionLoss> losses;
  int read_more = 0;
  bool open_after_report = true;  ///< is_open() when the last report returned
};

class Owner;
/// Runs `f` inside the owner's handler.
struct Do {
  std::function<void(Owner&)> f;
};

/// A minimal owner: reads on readiness, records what the connection reports.
class Owner final : public ConnectionOwner {
 public:
  Owner(Seen& seen, int fd, ConnectionSlot slot, mqtt::ParserOptions parsing)
      : conn(fd, std::move(slot), parsing), seen_(seen) {}

  Connection conn;
  bool waits = false;   ///< input_waits()
  bool paused = false;  ///< reading_paused()
  bool close_in_reports = true;  ///< close as a session does; false: leave it to the connection
  bool answer_loss = false;      ///< send a last packet before closing, as a session may
  /// Called after each packet is recorded.
  std::function<void(Owner&, const mqtt::Packet&)> after_packet;
  Metrics counters;
  Limits limit_values;

 protected:
  void on_start() override { conn.open(*this, nullptr); }
  void on_message(sched::Message& m) override {
    if (auto* ready = m.as<net::SocketReady>()) {
      if (ready->writable) {
        conn.flush(*this);
      }
      conn.read(*this);
    } else if (m.is<ReadMore>()) {
      ++seen_.read_more;
      conn.read(*this);
    } else if (auto* d = m.as<Do>()) {
      d->f(*this);
    }
  }
  void after_run() override { conn.flush(*this); }
  void on_exit(const sched::ExitReason&) override { conn.close(*this); }

  void on_packet(mqtt::Packet& packet) override {
    if (auto* p = std::get_if<mqtt::Publish>(&packet)) {
      seen_.packets.push_back(p->topic);
    } else if (std::holds_alternative<mqtt::Connect>(packet)) {
      seen_.packets.push_back("CONNECT");
    } else {
      seen_.packets.push_back("other");
    }
    if (after_packet) {
      after_packet(*this, packet);
    }
  }
  void on_parse_error(const mqtt::Error& error, ProtocolVersion version) override {
    ++seen_.parse_errors;
    seen_.error_code = error.code;
    seen_.error_version = version;
    if (close_in_reports) {
      conn.close(*this);
      conn.close(*this);  // a second close finds nothing left
    }
    seen_.open_after_report = conn.is_open();
  }
  void on_connection_lost(ConnectionLoss loss) override {
    seen_.losses.push_back(loss);
    if (answer_loss) {
      CHECK(conn.send(mqtt::Disconnect{}, ProtocolVersion::v3_1_1));
    }
    if (close_in_reports) {
      conn.close(*this);
      conn.close(*this);
    }
    seen_.open_after_report = conn.is_open();
  }
  bool reading_paused() const override { return paused; }
  bool input_waits() const override { return waits; }
  Metrics& metrics() override { return counters; }
  const Limits& limits() const override { return limit_values; }

 private:
  Seen& seen_;
};

std::vector<std::uint8_t> bytes_of(const mqtt::Packet& p, ProtocolVersion v = ProtocolVersion::v3_1_1) {
  auto encoded = mqtt::encode(p, v);
  REQUIRE(encoded);
  return std::move(encoded).value();
}

mqtt::Packet publish(const std::string& topic, std::size_t payload_size = 3) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = mqtt::SharedBytes::copy_of(std::string(payload_size, 'x'));
  return p;
}

mqtt::Packet connect(ProtocolVersion v) {
  mqtt::Connect c;
  c.version = v;
  c.client_id = "c1";
  return c;
}

void append(std::vector<std::uint8_t>& out, const std::vector<std::uint8_t>& more) {
  out.insert(out.end(), more.begin(), more.end());
}

/// A socketpair: ours (non-blocking, for the Connection) and the test's peer,
/// an accepted connection's slot on a listener, and an owner process.
struct Fixture {
  explicit Fixture(mqtt::ParserOptions parsing = {}, std::int32_t budget = 2000) : rt(config(budget)) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    ours = fds[0];
    peer = fds[1];
    ConnectionSlot::Taken taken = ConnectionSlot::take(listener);
    CHECK(taken.broker_open == 1);
    auto made = std::make_unique<Owner>(seen, ours, std::move(taken.slot), parsing);
    owner = made.get();
    sched::SpawnOptions o;
    o.start = true;
    o.pinned = true;
    pid = rt.spawn(std::move(made), o);
    pump();
  }
  ~Fixture() {
    rt.shutdown();
    if (peer >= 0) {
      ::close(peer);
    }
  }
  static sched::RuntimeConfig config(std::int32_t budget) {
    sched::RuntimeConfig c = sched::testing::stepped();
    c.reduction_budget = budget;
    return c;
  }

  void pump(int times = 8) {
    for (int i = 0; i < times; ++i) {
      rt.scheduler(0).run_once();
    }
  }
  /// Writes all of `bytes` from the peer, letting the owner read between
  /// writes the socket buffer could not take at once.
  void send(const std::vector<std::uint8_t>& bytes) {
    std::size_t done = 0;
    for (int round = 0; done < bytes.size() && round < 10000; ++round) {
      ssize_t n = ::send(peer, bytes.data() + done, bytes.size() - done, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else {
        REQUIRE(errno == EAGAIN);
        pump(1);
      }
    }
    REQUIRE(done == bytes.size());
    pump();
  }
  /// Writes `bytes` from the peer if the socket still takes them (not once closed).
  void try_send(const std::vector<std::uint8_t>& bytes) {
    (void)::send(peer, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    pump();
  }
  /// Runs `f` inside the owner's handler.
  void inside(std::function<void(Owner&)> f) {
    REQUIRE(rt.send<Do>(pid, Do{std::move(f)}));
    pump();
  }
  struct Received {
    std::vector<std::uint8_t> bytes;
    bool eof;  ///< the FIN came after them
  };
  /// What the peer has received so far.
  Received peer_received() const {
    Received out{{}, false};
    std::uint8_t buf[4096];
    for (;;) {
      ssize_t n = ::recv(peer, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        out.bytes.insert(out.bytes.end(), buf, buf + n);
        continue;
      }
      out.eof = n == 0;
      return out;
    }
  }
  std::int64_t broker_count() const { return broker_open.load(); }

  std::atomic<std::int64_t> broker_open{0};
  std::shared_ptr<ListenerShared> listener = ListenerShared::make(broker_open);
  Seen seen;
  sched::Runtime rt;
  int ours = -1;
  int peer = -1;
  Owner* owner = nullptr;  ///< valid while the process lives
  sched::Pid pid;
};

mqtt::ParserOptions server_side() {
  mqtt::ParserOptions o;
  o.connect_first = true;
  return o;
}

}  // namespace

TEST_CASE("connection: packets split anywhere arrive whole and in order") {
  std::vector<std::uint8_t> stream = bytes_of(connect(ProtocolVersion::v3_1_1));
  std::vector<std::string> expected{"CONNECT"};
  for (int i = 0; i < 6; ++i) {
    std::string topic = "t/" + std::to_string(i);
    append(stream, bytes_of(publish(topic, static_cast<std::size_t>(i * 50))));
    expected.push_back(topic);
  }
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{64}}) {
    CAPTURE(chunk);
    Fixture f(server_side());
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      std::size_t end = std::min(stream.size(), at + chunk);
      f.send(std::vector<std::uint8_t>(stream.begin() + static_cast<std::ptrdiff_t>(at),
                                       stream.begin() + static_cast<std::ptrdiff_t>(end)));
    }
    CHECK(f.seen.packets == expected);
    CHECK(f.seen.parse_errors == 0);
    CHECK(f.seen.losses.empty());
    CHECK(f.owner->counters.get(Counter::bytes_received) == static_cast<std::int64_t>(stream.size()));
    CHECK(f.owner->conn.is_open());
  }
}

TEST_CASE("connection: a spent budget continues with ReadMore, nothing lost or reordered") {
  // 64 KiB reads cost 256 reductions each: a budget of 50 yields after every read.
  Fixture f(mqtt::ParserOptions{}, 50);
  std::vector<std::uint8_t> stream;
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    std::string topic = "bulk/" + std::to_string(i);
    append(stream, bytes_of(publish(topic, 2000)));
    expected.push_back(topic);
  }
  f.send(stream);
  f.pump(64);
  CHECK(f.seen.packets == expected);
  CHECK(f.seen.read_more > 0);
}

TEST_CASE("connection: a parse error is reported once, with the version seen, and closes") {
  bool owner_closes = true;
  SUBCASE("the owner closes in the report") { owner_closes = true; }
  SUBCASE("the owner leaves it to the connection") { owner_closes = false; }
  Fixture f(server_side());
  f.inside([&](Owner& o) { o.close_in_reports = owner_closes; });
  std::vector<std::uint8_t> stream = bytes_of(connect(ProtocolVersion::v5), ProtocolVersion::v5);
  std::vector<std::uint8_t> garbage{0x00, 0x00, 0xF0, 0x00, 0x00, 0x00};  // reserved packet type 0, twice over
  append(stream, garbage);
  append(stream, bytes_of(publish("after"), ProtocolVersion::v5));
  f.send(stream);
  f.try_send(garbage);  // after the error: nobody reads it
  CHECK(f.seen.open_after_report == !owner_closes);
  CHECK(f.seen.packets == std::vector<std::string>{"CONNECT"});
  CHECK(f.seen.parse_errors == 1);
  CHECK(f.seen.error_code == mqtt::ErrorCode::reserved_packet_type);
  CHECK(f.seen.error_version == ProtocolVersion::v5);
  CHECK(f.seen.losses.empty());
  CHECK(f.owner->counters.get(Counter::malformed) == 1);
  CHECK_FALSE(f.owner->conn.is_open());
  CHECK(f.peer_received().eof);
  CHECK(f.broker_count() == 0);
}

TEST_CASE("connection: an owner that does not close on a parse error is closed by the connection") {
  Fixture f(server_side());
  f.inside([](Owner& o) { o.close_in_reports = false; });
  f.send({'G', 'E', 'T', ' ', '/'});  // an HTTP request on an MQTT port: refused at its first byte
  f.try_send({'G', 'E', 'T'});
  CHECK(f.seen.parse_errors == 1);
  CHECK(f.seen.error_code == mqtt::ErrorCode::connect_expected);
  CHECK(f.seen.open_after_report);  // the owner left it open...
  CHECK_FALSE(f.owner->conn.is_open());  // ...and the connection closed it
  CHECK(f.seen.packets.empty());
  CHECK(f.broker_count() == 0);
}

TEST_CASE("connection: the peer gone is reported once, closing in the report is safe, and so is closing again") {
  Fixture f;
  f.send(bytes_of(publish("last")));
  REQUIRE(::shutdown(f.peer, SHUT_WR) == 0);
  f.pump();
  CHECK(f.seen.packets == std::vector<std::string>{"last"});
  REQUIRE(f.seen.losses.size() == 1);
  CHECK(f.seen.losses[0] == ConnectionLoss::closed);
  CHECK_FALSE(f.seen.open_after_report);
  CHECK(f.broker_count() == 0);
  CHECK(f.listener->open.load() == 0);
  f.inside([](Owner& o) {
    o.conn.close(o);
    CHECK(o.conn.send(mqtt::Pingresp{}, ProtocolVersion::v3_1_1));  // nothing, once closed
    o.conn.flush(o);
    o.conn.read(o);
  });
  CHECK(f.seen.losses.size() == 1);
  CHECK(f.broker_count() == 0);
  CHECK(f.listener->open.load() == 0);
}

TEST_CASE("connection: a last write that finds the peer gone is not reported again") {
  std::signal(SIGPIPE, SIG_IGN);  // as the broker does (core/main.cpp): a write to a gone peer says EPIPE
  Fixture f;
  f.inside([](Owner& o) { o.answer_loss = true; });
  ::close(f.peer);
  f.peer = -1;
  f.pump();
  REQUIRE(f.seen.losses.size() == 1);
  CHECK(f.seen.losses[0] == ConnectionLoss::closed);
  CHECK_FALSE(f.owner->conn.is_open());
  CHECK(f.owner->conn.pending_bytes() == 0);
  CHECK(f.broker_count() == 0);
}

TEST_CASE("connection: close sends what is pending before the FIN") {
  Fixture f;
  std::vector<std::uint8_t> expected = bytes_of(mqtt::Pingresp{});
  f.inside([](Owner& o) {
    REQUIRE(o.conn.send(mqtt::Pingresp{}, ProtocolVersion::v3_1_1));
    CHECK(o.conn.pending_bytes() == 2);
    o.conn.close(o);
  });
  Fixture::Received got = f.peer_received();
  CHECK(got.bytes == expected);
  CHECK(got.eof);
  CHECK(f.owner->counters.get(Counter::bytes_sent) == 2);
  CHECK(f.seen.losses.empty());  // closing reports nothing
}

TEST_CASE("connection: input held while it must wait is replayed in order, before what comes later") {
  Fixture f;
  // The second packet makes input wait (as a CONNECT waiting for a handover
  // does); the rest of the read, a partial packet included, is held.
  f.inside([](Owner& o) {
    o.after_packet = [](Owner& self, const mqtt::Packet& p) {
      if (std::get<mqtt::Publish>(p).topic == "2") {
        self.waits = true;
      }
    };
  });
  std::vector<std::uint8_t> stream;
  for (const char* topic : {"1", "2", "3", "4"}) {
    append(stream, bytes_of(publish(topic, 100)));
  }
  std::vector<std::uint8_t> five = bytes_of(publish("5", 100));
  append(stream, std::vector<std::uint8_t>(five.begin(), five.begin() + 40));
  f.send(stream);
  CHECK(f.seen.packets == std::vector<std::string>{"1", "2"});
  // While input waits, nothing is read: this stays in the kernel.
  f.send(std::vector<std::uint8_t>(five.begin() + 40, five.end()));
  f.send(bytes_of(publish("6")));
  CHECK(f.seen.packets == std::vector<std::string>{"1", "2"});
  f.inside([](Owner& o) {
    o.waits = false;
    CHECK(o.conn.replay_held(o));
    o.conn.read(o);
  });
  CHECK(f.seen.packets == std::vector<std::string>{"1", "2", "3", "4", "5", "6"});
  CHECK(f.seen.parse_errors == 0);
}

TEST_CASE("connection: replaying held input may make it wait again, the rest stays held, in order") {
  Fixture f;
  f.inside([](Owner& o) {
    o.after_packet = [](Owner& self, const mqtt::Packet& p) {
      const std::string& topic = std::get<mqtt::Publish>(p).topic;
      if (topic == "1" || topic == "3") {
        self.waits = true;
      }
    };
  });
  std::vector<std::uint8_t> stream;
  for (const char* topic : {"1", "2", "3", "4"}) {
    append(stream, bytes_of(publish(topic)));
  }
  f.send(stream);
  CHECK(f.seen.packets == std::vector<std::string>{"1"});
  f.inside([](Owner& o) {
    o.waits = false;
    CHECK(o.conn.replay_held(o));
  });
  CHECK(f.seen.packets == std::vector<std::string>{"1", "2", "3"});
  f.inside([](Owner& o) {
    o.waits = false;
    CHECK(o.conn.replay_held(o));
    CHECK(o.conn.replay_held(o));  // nothing left: still open
  });
  CHECK(f.seen.packets == std::vector<std::string>{"1", "2", "3", "4"});
}

TEST_CASE("connection: paused reading leaves the bytes in the kernel until resumed") {
  Fixture f;
  f.inside([](Owner& o) { o.paused = true; });
  f.send(bytes_of(publish("a")));
  CHECK(f.seen.packets.empty());
  f.inside([](Owner& o) {
    o.paused = false;
    o.conn.read(o);
  });
  CHECK(f.seen.packets == std::vector<std::string>{"a"});
}

TEST_CASE("connection: the slot goes back exactly once, however the connection ends") {
  std::atomic<std::int64_t> broker_open{0};
  auto listener = ListenerShared::make(broker_open);
  auto fd_open = [](int fd) { return ::fcntl(fd, F_GETFD) != -1; };

  SUBCASE("never opened: the descriptor is closed with the connection") {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    {
      ConnectionSlot::Taken taken = ConnectionSlot::take(listener);
      CHECK(taken.listener_open == 1);
      Connection conn(fds[0], std::move(taken.slot), {});
      CHECK(broker_open.load() == 1);
      CHECK(listener->open.load() == 1);
      CHECK(conn.slot().listener() == listener.get());
    }
    CHECK(broker_open.load() == 0);
    CHECK(listener->open.load() == 0);
    CHECK_FALSE(fd_open(fds[0]));
    ::close(fds[1]);
  }
  SUBCASE("closed by its owner, again, then ended") {
    Fixture f;
    CHECK(f.broker_count() == 1);
    f.inside([](Owner& o) {
      o.conn.close(o);
      o.conn.close(o);
      CHECK_FALSE(o.conn.slot().held());
    });
    CHECK(f.broker_count() == 0);
    CHECK(f.listener->open.load() == 0);
    f.rt.exit(f.pid, sched::ExitReason::kill());  // on_exit closes once more
    f.pump();
    CHECK(f.broker_count() == 0);
    CHECK(f.listener->open.load() == 0);
  }
  SUBCASE("a slot dropped unused, or moved, counts once") {
    {
      ConnectionSlot::Taken a = ConnectionSlot::take(listener);
      ConnectionSlot::Taken b = ConnectionSlot::take(listener);
      CHECK(b.broker_open == 2);
      ConnectionSlot moved = std::move(a.slot);
      CHECK_FALSE(a.slot.held());
      moved = std::move(b.slot);  // gives the first place back
      CHECK(broker_open.load() == 1);
    }
    CHECK(broker_open.load() == 0);
    CHECK(listener->open.load() == 0);
  }
  SUBCASE("a listener closed and dropped while a connection holds its slot lives until the slot goes") {
    std::atomic<std::int64_t> own_open{0};
    auto gone = ListenerShared::make(own_open);
    gone->name = "tcp 127.0.0.1:1";
    ConnectionSlot::Taken taken = ConnectionSlot::take(gone);
    const ListenerShared* seen = taken.slot.listener();
    gone.reset();  // the listener and the broker let it go (a reload removed it)
    CHECK(seen->name == "tcp 127.0.0.1:1");  // still there (ASan: not freed)
    CHECK(seen->open.load() == 1);
    taken.slot.release();  // the last holder: freed here (ASan: once)
    CHECK(own_open.load() == 0);
  }
  SUBCASE("an outgoing connection has none") {
    Connection conn;
    CHECK_FALSE(conn.slot().held());
    CHECK(conn.slot().transport() == nullptr);
  }
}

TEST_CASE("connection: an idle connection costs at most 64 bytes (memory per idle session)") {
  CHECK(sizeof(Connection) <= 64);
}

}  // namespace actormq::core
