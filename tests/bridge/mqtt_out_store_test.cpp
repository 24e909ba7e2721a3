// bridge/mqtt/out_store.cpp and the store side of outbox.cpp: a bridge's
// messages for its remote in the LMDB store, read back in order after a
// restart, their records malformed in every way refused.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bridge/mqtt/out_store.hpp"
#include "persist/record.hpp"
#include "tests/persist/test_dir.hpp"

using namespace actormq::bridge;
namespace mqtt = actormq::mqtt;
namespace persist = actormq::persist;
using mqtt::QoS;

namespace {

OutMessage message(std::string topic, QoS qos, std::string payload = "p") {
  return OutMessage{std::move(topic), mqtt::SharedBytes::copy_of(payload), qos, false, nullptr};
}

struct Store {
  persist::test::TempDir dir;
  std::unique_ptr<persist::Env> env;
  std::unique_ptr<persist::Writer> writer;

  void open() {
    writer.reset();
    env.reset();
    auto opened = persist::Env::open(persist::EnvOptions{dir.sub("data"), false});
    REQUIRE(std::holds_alternative<std::unique_ptr<persist::Env>>(opened));
    env = std::move(std::get<std::unique_ptr<persist::Env>>(opened));
    writer = std::make_unique<persist::Writer>(*env, persist::WriterOptions{});
  }
};

struct CountingHold final : persist::Hold {
  explicit CountingHold(int& released) : released_(released) {}
  ~CountingHold() override { ++released_; }
  void failed(int) noexcept override {}
  int& released_;
};

}  // namespace

TEST_CASE("bridge out store: a record survives encode and decode, properties and the released flag included") {
  OutMessage m = message("r/t", QoS::exactly_once, std::string("\0bin\xff", 5));
  m.retain = true;
  m.released = true;
  mqtt::Properties p;
  p.content_type = "text/plain";
  p.user_properties.push_back({"k", "v"});
  m.properties = std::make_shared<const mqtt::Properties>(p);
  auto back = decode_out_record(encode_out_record(m));
  REQUIRE(back);
  CHECK(back->topic == "r/t");
  CHECK(back->payload.view() == m.payload.view());
  CHECK(back->qos == QoS::exactly_once);
  CHECK(back->retain);
  CHECK(back->released);
  CHECK(back->stored);
  REQUIRE(back->properties);
  CHECK(*back->properties == p);
  OutMessage plain = message("a", QoS::at_least_once);
  back = decode_out_record(encode_out_record(plain));
  REQUIRE(back);
  CHECK_FALSE(back->properties);
  CHECK_FALSE(back->released);
}

TEST_CASE("bridge out store: malformed records are refused: every truncation, a trailing byte, impossible fields") {
  const std::string good = encode_out_record(message("r/t", QoS::at_least_once, "payload"));
  for (std::size_t n = 0; n < good.size(); ++n) {
    CHECK_FALSE(decode_out_record(std::string_view(good).substr(0, n)));
  }
  CHECK_FALSE(decode_out_record(good + "x"));
  std::string wrong_format = good;
  wrong_format[0] = 2;
  CHECK_FALSE(decode_out_record(wrong_format));
  std::string bad_flag = good;
  bad_flag[1] = 7;
  CHECK_FALSE(decode_out_record(bad_flag));
  // QoS 0 is never stored, and only QoS 2 can be released.
  CHECK_FALSE(decode_out_record(encode_out_record(message("r/t", QoS::at_most_once))));
  OutMessage released = message("r/t", QoS::at_least_once);
  released.released = true;
  CHECK_FALSE(decode_out_record(encode_out_record(released)));
  // A topic the remote would refuse (wildcards, empty) would end every connection.
  CHECK_FALSE(decode_out_record(encode_out_record(message("r/#", QoS::at_least_once))));
  CHECK_FALSE(decode_out_record(encode_out_record(message("", QoS::at_least_once))));
}

TEST_CASE("bridge out store: QoS 1/2 messages are kept until erased, read back in order after a restart") {
  Store s;
  s.open();
  int released = 0;
  {
    OutStore store(s.writer.get(), s.env.get(), "b1");
    OutStore other(s.writer.get(), s.env.get(), "b10");  // a name that b1 is a prefix of
    CHECK(store.load().messages.empty());
    std::vector<OutMessage> msgs;
    for (int i = 0; i < 5; ++i) {
      msgs.push_back(message("t/" + std::to_string(i), i % 2 == 0 ? QoS::at_least_once : QoS::exactly_once));
      store.put(msgs.back(), std::make_shared<CountingHold>(released));
      CHECK(msgs.back().seq == static_cast<std::uint64_t>(i + 1));
      CHECK(msgs.back().stored);
    }
    OutMessage q0 = message("t/q0", QoS::at_most_once);
    store.put(q0, std::make_shared<CountingHold>(released));
    CHECK_FALSE(q0.stored);
    OutMessage theirs = message("t/other", QoS::at_least_once);
    other.put(theirs, nullptr);
    store.erase({msgs[0].seq, msgs[3].seq});
    msgs[1].released = true;
    store.released(msgs[1]);
    store.flush();
    other.flush();
    s.writer->flush();
    CHECK(released == 6);  // every hold let go, once its write was committed
  }
  s.open();  // a restart
  OutStore store(s.writer.get(), s.env.get(), "b1");
  OutStore::Loaded loaded = store.load();
  CHECK_FALSE(loaded.error);
  REQUIRE(loaded.messages.size() == 3);
  CHECK(loaded.messages[0].topic == "t/1");
  CHECK(loaded.messages[0].seq == 2);
  CHECK(loaded.messages[0].released);
  CHECK(loaded.messages[1].topic == "t/2");
  CHECK(loaded.messages[2].topic == "t/4");
  CHECK(loaded.messages[2].seq == 5);
  OutMessage next = message("t/5", QoS::at_least_once);
  store.put(next, nullptr);
  CHECK(next.seq == 6);  // after the last stored one (the QoS 0 message's 6 was never stored)
}

TEST_CASE("bridge out store: writes are gathered until flush, or until a put with a hold takes them along") {
  Store s;
  s.open();
  OutStore store(s.writer.get(), s.env.get(), "b1");
  auto stored = [&] {
    s.writer->flush();
    return OutStore(s.writer.get(), s.env.get(), "b1").load().messages.size();
  };
  OutMessage a = message("t/a", QoS::at_least_once);
  store.put(a, nullptr);
  CHECK(stored() == 0);
  store.flush();
  CHECK(stored() == 1);
  OutMessage b = message("t/b", QoS::at_least_once);
  store.put(b, nullptr);
  store.erase({a.seq});
  int released = 0;
  OutMessage c = message("t/c", QoS::exactly_once);
  store.put(c, std::make_shared<CountingHold>(released));  // under durability sync: submitted at once, with the rest
  s.writer->flush();
  CHECK(released == 1);
  auto back = OutStore(s.writer.get(), s.env.get(), "b1").load().messages;
  REQUIRE(back.size() == 2);
  CHECK(back[0].topic == "t/b");
  CHECK(back[1].topic == "t/c");
}

TEST_CASE("bridge out store: a malformed record is reported and erased, the others load") {
  Store s;
  s.open();
  s.writer->submit(persist::Op::put(persist::Db::bridge_out, persist::session_key("b1", 1),
                                    encode_out_record(message("a", QoS::at_least_once))));
  s.writer->submit(persist::Op::put(persist::Db::bridge_out, persist::session_key("b1", 2), "garbage"));
  s.writer->submit(persist::Op::put(persist::Db::bridge_out, persist::session_key("b1", 3),
                                    encode_out_record(message("c", QoS::at_least_once))));
  s.writer->flush();
  OutStore store(s.writer.get(), s.env.get(), "b1");
  OutStore::Loaded loaded = store.load();
  CHECK(loaded.malformed == 1);
  REQUIRE(loaded.messages.size() == 2);
  s.writer->flush();
  OutStore again(s.writer.get(), s.env.get(), "b1");
  CHECK(again.load().malformed == 0);
}

TEST_CASE("bridge out store: without a store nothing is written, messages are still numbered") {
  OutStore store(nullptr, nullptr, "b1");
  CHECK_FALSE(store.enabled());
  OutMessage m = message("a", QoS::at_least_once);
  store.put(m, nullptr);
  CHECK(m.seq == 1);
  CHECK_FALSE(m.stored);
  CHECK(store.load().messages.empty());
}

TEST_CASE("bridge outbox: a numbered message's packet id follows its seq, and waits while an older one holds it") {
  Outbox box(1 << 20);
  box.set_window(3);
  OutMessage a = message("a", QoS::exactly_once);
  a.seq = 1;
  OutMessage b = message("b", QoS::at_least_once);
  b.seq = 65536;  // the same id as a: (65536 - 1) % 65535 + 1 == 1
  OutMessage c = message("c", QoS::at_least_once);
  c.seq = 65537;
  (void)box.push(a);
  (void)box.push(b);
  (void)box.push(c);
  auto moved = box.fill();
  REQUIRE(moved.size() == 1);  // b waits for a's id, c waits behind b: the order is kept
  CHECK(moved[0]->packet_id == 1);
  CHECK(box.release(1) != nullptr);
  auto done = box.complete(1, QoS::exactly_once);
  REQUIRE(done);
  CHECK(done->topic == "a");
  moved = box.fill();
  REQUIRE(moved.size() == 2);
  CHECK(moved[0]->packet_id == 1);
  CHECK(moved[1]->packet_id == 2);
}

TEST_CASE("bridge outbox: take_all hands over in-flight then waiting messages, in order, and frees their ids") {
  Outbox box(1 << 20);
  box.set_window(2);
  for (std::uint64_t seq = 1; seq <= 4; ++seq) {
    OutMessage m = message("t/" + std::to_string(seq), QoS::at_least_once);
    m.seq = seq;
    (void)box.push(std::move(m));
  }
  REQUIRE(box.fill().size() == 2);
  std::vector<OutMessage> all = box.take_all();
  REQUIRE(all.size() == 4);
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].seq == i + 1);
    CHECK(all[i].from_store == (i < 2));  // those in flight may have reached the remote
  }
  CHECK(box.size() == 0);
  CHECK(box.bytes() == 0);
  CHECK(box.take_all().empty());
  // A successor's outbox takes them back; their ids are free again here too.
  (void)box.push(std::move(all[0]));
  auto moved = box.fill();
  REQUIRE(moved.size() == 1);
  CHECK(moved[0]->packet_id == 1);
}

TEST_CASE("bridge out store: commit releases its hold once everything submitted before is committed") {
  Store s;
  s.open();
  OutStore store(s.writer.get(), s.env.get(), "b1");
  CHECK(store.load().messages.empty());
  OutMessage a = message("t/a", QoS::at_least_once);
  store.put(a, nullptr);  // gathered, not yet submitted
  OutStore other(s.writer.get(), s.env.get(), "b1");
  int released = 0;
  store.commit(std::make_shared<CountingHold>(released));
  s.writer->flush();
  CHECK(released == 1);
  auto back = other.load();  // what a successor reads once the hold is released
  REQUIRE(back.messages.size() == 1);
  CHECK(back.messages[0].topic == "t/a");
  CHECK(back.malformed == 0);  // the write the hold rode on left no record
  // With nothing gathered the hold still waits for a commit, and nothing changes.
  store.commit(std::make_shared<CountingHold>(released));
  s.writer->flush();
  CHECK(released == 2);
  CHECK(OutStore(s.writer.get(), s.env.get(), "b1").load().messages.size() == 1);
}

TEST_CASE("bridge out store: commit without a store releases at once, number_after continues the numbers") {
  OutStore store(nullptr, nullptr, "b1");
  int released = 0;
  store.commit(std::make_shared<CountingHold>(released));
  CHECK(released == 1);
  store.number_after(41);
  store.number_after(7);  // never backwards
  OutMessage m = message("a", QoS::at_least_once);
  store.put(m, nullptr);
  CHECK(m.seq == 42);
}
