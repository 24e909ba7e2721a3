// Reading the retained messages of the store (core/routing/retained_load.hpp).
#include "core/routing/retained_load.hpp"

#include <doctest/doctest.h>

#include "core/routing/retainer.hpp"
#include "core/store/persistence.hpp"
#include "tests/persist/test_dir.hpp"

namespace actormq::core {
namespace {

struct Store {
  persist::test::TempDir dir;
  std::unique_ptr<persist::Env> env;
  std::unique_ptr<persist::Writer> writer;
  Store() {
    auto r = persist::Env::open(persist::EnvOptions{dir.path()});
    REQUIRE(std::holds_alternative<std::unique_ptr<persist::Env>>(r));
    env = std::move(std::get<std::unique_ptr<persist::Env>>(r));
    writer = std::make_unique<persist::Writer>(*env, persist::WriterOptions{});
  }
  void put(const std::string& topic, const std::string& payload, std::uint64_t received_ms = 0,
           std::optional<std::uint32_t> expiry_s = std::nullopt) {
    AppMessage m;
    m.topic = topic;
    m.payload = mqtt::SharedBytes::copy_of(std::string_view(payload));
    m.retain = true;
    m.received_ms = received_ms;
    mqtt::Properties props;
    props.message_expiry_interval = expiry_s;
    m.set_properties(std::move(props));
    writer->submit(persist::Op::put(persist::Db::retained, topic, persist::encode(to_stored(m))));
  }
};

}  // namespace

TEST_CASE("read_retained: every stored message, expired ones apart, expiries listed") {
  Store s;
  const std::uint64_t now = 1'000'000;
  s.put("a/1", "one");
  s.put("a/2", "two", now - 500, 10);      // expires at now + 9500
  s.put("a/3", "three", now - 5000, 2);    // expired 3 s ago
  s.writer->flush();
  std::atomic<bool> cancel{false};
  auto r = read_retained(*s.env, s.writer.get(), now, cancel);
  REQUIRE(r.ok());
  auto& loaded = *r;
  CHECK(loaded.index.size() == 2);
  REQUIRE(loaded.index.find("a/1") != nullptr);
  CHECK((*loaded.index.find("a/1"))->payload.view() == "one");
  CHECK(loaded.index.find("a/3") == nullptr);
  CHECK(loaded.expired == std::vector<std::string>{"a/3"});
  CHECK(loaded.expiries == std::vector<std::pair<std::uint64_t, std::string>>{{now + 9500, "a/2"}});
}

TEST_CASE("read_retained: an unreadable record fails the load, naming the database and key") {
  Store s;
  s.put("ok", "fine");
  s.writer->submit(persist::Op::put(persist::Db::retained, "bad/\x01", "not a message"));
  s.writer->flush();
  std::atomic<bool> cancel{false};
  auto r = read_retained(*s.env, s.writer.get(), 0, cancel);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().text() == "data_dir " + s.dir.path() +
                                ": unreadable record in database 'retained' (key \"bad/\\x01\"); move the "
                                "directory away to start empty");
}

TEST_CASE("read_retained: a cancelled load returns nothing") {
  Store s;
  s.put("x", "1");
  s.writer->flush();
  std::atomic<bool> cancel{true};
  auto r = read_retained(*s.env, s.writer.get(), 0, cancel);
  REQUIRE(r.ok());
  CHECK(r->index.empty());
}

}  // namespace actormq::core
