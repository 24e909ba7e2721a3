// Socket readiness over a real loopback TCP connection, on a stepped runtime:
// edge-triggered epoll with readiness tracked in the socket.
#include "net/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "tests/net/loopback_pair.hpp"
#include "tests/sched/test_process.hpp"

namespace actormq::net {
namespace {
using sched::testing::Fn;

// A connected pair: `ours` (non-blocking, for a Socket) and the test's peer.
struct TcpPair {
  int ours = -1;
  int peer = -1;
  TcpPair() {
    testing::LoopbackFds fds = testing::loopback_pair(false);
    ours = fds.accepted;
    peer = fds.dialled;
  }
  ~TcpPair() {
    if (peer >= 0) {
      ::close(peer);
    }
  }
  void send(const std::string& s) const { REQUIRE(::write(peer, s.data(), s.size()) == static_cast<ssize_t>(s.size())); }
};

// A stepped runtime, one owner process counting its SocketReady messages,
// and a Socket on a fresh connection.
struct Fixture {
  sched::Runtime rt{sched::testing::stepped()};
  sched::Scheduler& s = rt.scheduler(0);
  int readable = 0;
  int writable = 0;
  TcpPair pair;
  Socket* socket = nullptr;

  Fixture() {
    sched::Pid owner = rt.spawn(std::make_unique<Fn>([this](Fn&, sched::Message& m) {
      if (auto* r = m.as<SocketReady>()) {
        readable += r->readable ? 1 : 0;
        writable += r->writable ? 1 : 0;
      }
    }));
    socket = Socket::adopt(s.loop(), pair.ours, owner, rt);
  }
  ~Fixture() {
    socket->close();
    rt.shutdown();
  }
  void poll(int times = 3) {
    for (int i = 0; i < times; ++i) {
      s.run_once();
    }
  }
  std::string read_some(std::size_t size = 64) {
    std::vector<std::uint8_t> buf(size);
    IoResult r = socket->read(buf);
    REQUIRE(r.status == IoResult::Status::ok);
    return std::string(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
  }
};

TEST_CASE("readable is reported once per want_read, after a short read, at the next arrival") {
  Fixture f;
  f.pair.send("abc");
  f.poll();
  CHECK(f.readable == 1);
  CHECK(f.read_some() == "abc");
  f.socket->want_read(true);
  f.poll();
  CHECK(f.readable == 1);  // nothing new arrived
  f.pair.send("de");
  f.poll();
  CHECK(f.readable == 2);
  CHECK(f.read_some() == "de");
}

TEST_CASE("bytes that arrived while nobody wanted them are reported when asked for") {
  Fixture f;
  f.pair.send("x");
  f.poll();
  CHECK(f.readable == 1);
  f.pair.send("y");  // the owner has not read: its edge finds nobody waiting
  f.poll();
  CHECK(f.readable == 1);
  f.socket->want_read(true);  // no edge will come again: reported at once
  f.poll();
  CHECK(f.readable == 2);
  CHECK(f.read_some() == "xy");
}

TEST_CASE("a full buffer read is not a short read: readiness stays") {
  Fixture f;
  f.pair.send("abcdef");
  f.poll();
  CHECK(f.read_some(3) == "abc");
  f.socket->want_read(true);
  f.poll();
  CHECK(f.readable == 2);
  CHECK(f.read_some() == "def");
}

TEST_CASE("a FIN behind data is still reported after the short read of the data") {
  Fixture f;
  f.pair.send("data");
  ::shutdown(f.pair.peer, SHUT_WR);
  f.poll();
  CHECK(f.readable == 1);
  CHECK(f.read_some() == "data");
  f.socket->want_read(true);
  f.poll();
  CHECK(f.readable == 2);
  std::array<std::uint8_t, 16> buf{};
  CHECK(f.socket->read(buf).status == IoResult::Status::closed);
}

TEST_CASE("writable is reported once the peer drains a full send buffer") {
  Fixture f;
  std::vector<char> chunk(256 * 1024, 'z');
  iovec v{chunk.data(), chunk.size()};
  bool full = false;
  for (int i = 0; i < 1000 && !full; ++i) {
    full = f.socket->writev(&v, 1).status == IoResult::Status::would_block;
  }
  REQUIRE(full);
  f.socket->want_write(true);
  f.poll();
  CHECK(f.writable == 0);
  std::vector<char> sink(1 << 20);
  for (int i = 0; i < 10000 && f.writable == 0; ++i) {
    ssize_t n = ::recv(f.pair.peer, sink.data(), sink.size(), MSG_DONTWAIT);
    if (n <= 0) {
      f.poll(1);
    }
  }
  CHECK(f.writable == 1);
}

}  // namespace
}  // namespace actormq::net
