#include "core/session_registry.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

namespace actormq::core {

namespace {
sched::Pid pid(std::uint64_t serial) { return sched::Pid(0, serial); }
}  // namespace

TEST_CASE("client id: one shared allocation, equal to its characters, empty without one") {
  ClientId none;
  CHECK(none.empty());
  CHECK(none.view().empty());
  CHECK(ClientId("").empty());
  std::string text = "a-client-id-longer-than-fifteen";
  ClientId a(text);
  ClientId b = a;
  CHECK(a == text);
  CHECK(b.view().data() == a.view().data());  // shared, not copied
  ClientId c(text);
  CHECK(c.view().data() != a.view().data());
  CHECK(c == a.view());
  a = ClientId("other");
  CHECK(a == "other");
  CHECK(b == text);  // still held by b after a let go
  ClientId moved = std::move(b);
  CHECK(moved == text);
  CHECK(b.empty());
}

TEST_CASE("client id: copies dropped on several threads free it once") {
  ClientId id("shared-between-threads");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([id] {
      for (int i = 0; i < 10000; ++i) {
        ClientId copy = id;
        CHECK(copy == "shared-between-threads");
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(id == "shared-between-threads");
}

TEST_CASE("session registry: claim, takeover, release by the owner only, find, snapshot") {
  SessionRegistry r;
  ClientId first("client-one-with-a-long-id");
  CHECK_FALSE(r.claim(first, pid(1)).has_value());
  CHECK(r.find("client-one-with-a-long-id") == pid(1));
  CHECK_FALSE(r.find("client-two").has_value());

  // A second session with the same id takes the entry and is told the first.
  ClientId second("client-one-with-a-long-id");
  CHECK(r.claim(second, pid(2)) == pid(1));
  CHECK(r.find(first.view()) == pid(2));
  // The first session ending leaves the newer one's entry alone.
  CHECK_FALSE(r.release(first.view(), pid(1)));
  CHECK(r.find(first.view()) == pid(2));
  first = ClientId();  // the replaced session's copy may go: the entry holds the second's

  CHECK_FALSE(r.claim(ClientId("b"), pid(3)).has_value());
  CHECK(r.size() == 2);
  auto snap = r.snapshot();
  REQUIRE(snap.size() == 2);
  CHECK(snap[0].first == "b");
  CHECK(snap[1].first == "client-one-with-a-long-id");
  CHECK(snap[1].second == pid(2));

  CHECK(r.release(second.view(), pid(2)));
  CHECK_FALSE(r.find("client-one-with-a-long-id").has_value());
  CHECK(r.size() == 1);
}

}  // namespace actormq::core
