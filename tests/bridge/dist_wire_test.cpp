#include "bridge/dist/wire.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "bridge/dist/runtime_proto_v1.hpp"
#include "tests/bridge/dist_samples.hpp"
#include "tests/bridge/wire_payload.hpp"

namespace actormq::dist {

namespace {

using sched::Message;
using sched::MessagePtr;
using sched::Pid;
using test::Payload;
using test::payload_of;

Registry runtime_registry() {
  Registry r;
  add_runtime_types_v1(r);
  return r;
}

// Same type, lane, layout bytes and bodies: nothing was lost or reordered.
void check_same(const Registry& registry, const Message& a, const Message& b) {
  CHECK(a.type() == b.type());
  CHECK(a.urgent() == b.urgent());
  Payload pa = payload_of(registry, a);
  Payload pb = payload_of(registry, b);
  CHECK(pa.bytes == pb.bytes);
  CHECK(pa.bodies == pb.bodies);
}

std::string body_of(const EncodedFrame& frame) { return frame.flatten().substr(frame_prefix_size); }

struct Unregistered {
  int x = 0;
};

std::size_t count_of(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("every runtime message type round-trips through a frame, in order, in its lane") {
  Registry registry = runtime_registry();
  auto samples = test::sample_messages();
  FrameBuilder builder(registry);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    REQUIRE(builder.add(test::local_pid(i + 1), *samples[i]).ok());
  }
  std::string wire = builder.finish().flatten();
  CHECK(builder.empty());
  FrameReader reader;
  reader.feed(wire);
  auto body = reader.next();
  REQUIRE(body.ok());
  REQUIRE(body->has_value());
  auto decoded = decode_frame(**body, registry);
  REQUIRE(decoded.ok());
  CHECK(decoded->refused.empty());
  REQUIRE(decoded->deliveries.size() == samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    CAPTURE(i);
    CHECK(decoded->deliveries[i].to == test::local_pid(i + 1));
    check_same(registry, *samples[i], *decoded->deliveries[i].message);
  }
}

TEST_CASE("decoded values carry every field") {
  Registry registry = runtime_registry();
  FrameBuilder builder(registry);
  auto exit = sched::make_signal<sched::signal::Exit>(test::remote_pid(5), sched::ExitReason::exception("bad"), true);
  auto down = sched::make_message<sched::DownMsg>(sched::MonitorRef{77}, test::remote_pid(6),
                                                  sched::ExitReason::noconnection());
  auto monitor = sched::make_signal<sched::signal::Monitor>(test::remote_pid(8), sched::MonitorRef{99});
  REQUIRE(builder.add(test::local_pid(1), *exit).ok());
  REQUIRE(builder.add(test::local_pid(2), *down).ok());
  REQUIRE(builder.add(test::local_pid(3), *monitor).ok());
  auto decoded = decode_frame(body_of(builder.finish()), registry);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->deliveries.size() == 3);
  auto* e = decoded->deliveries[0].message->as<sched::signal::Exit>();
  REQUIRE(e);
  CHECK(e->from == test::remote_pid(5));
  CHECK(e->reason == sched::ExitReason::exception("bad"));
  CHECK(e->linked);
  CHECK(decoded->deliveries[0].message->urgent());
  auto* d = decoded->deliveries[1].message->as<sched::DownMsg>();
  REQUIRE(d);
  CHECK(d->ref == 77);
  CHECK(d->pid == test::remote_pid(6));
  CHECK(d->reason == sched::ExitReason::noconnection());
  CHECK_FALSE(decoded->deliveries[1].message->urgent());
  auto* m = decoded->deliveries[2].message->as<sched::signal::Monitor>();
  REQUIRE(m);
  CHECK(m->from == test::remote_pid(8));
  CHECK(m->ref == 99);
}

TEST_CASE("each type's decoder refuses its payload cut at every point, and trailing bytes") {
  Registry registry = runtime_registry();
  for (const MessagePtr& msg : test::sample_messages()) {
    Payload p = payload_of(registry, *msg);
    CAPTURE(p.id);
    REQUIRE(registry.decode(p.id, p.version, p.bytes, p.bodies).ok());
    for (std::size_t cut = 0; cut < p.bytes.size(); ++cut) {
      CAPTURE(cut);
      auto r = registry.decode(p.id, p.version, std::string_view(p.bytes).substr(0, cut), p.bodies);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error() == WireError::truncated);
    }
    auto longer = registry.decode(p.id, p.version, p.bytes + '\0', p.bodies);
    REQUIRE_FALSE(longer.ok());
    CHECK(longer.error() == WireError::trailing_bytes);
  }
}

TEST_CASE("unknown types, newer and older versions are refused") {
  Registry registry = runtime_registry();
  Payload p = payload_of(registry, *sched::make_signal<sched::signal::Link>(test::remote_pid(1)));
  CHECK(registry.decode(0x7777, 1, p.bytes, {}).error() == WireError::unknown_type);
  CHECK(registry.decode(type_id::link, 2, p.bytes, {}).error() == WireError::newer_version);
  CHECK(registry.decode(type_id::link, 0, p.bytes, {}).error() == WireError::older_version);
}

TEST_CASE("a type reads each version from min_version to version, and no other") {
  struct Point {
    std::uint32_t x = 0;
    std::uint32_t y = 0;  // added in version 3
  };
  Registry registry;
  registry.add<Point>(
      {.id = 0x0300, .version = 3, .min_version = 2, .name = "point"},
      [](Encoder& out, const Point& p) {
        out.u32(p.x);
        out.u32(p.y);
      },
      [](Decoder& in, std::uint8_t version) {
        Point p{in.u32(), 0};
        if (version >= 3) {
          p.y = in.u32();
        }
        return p;
      });
  std::string v2 = {0, 0, 0, 5};
  std::string v3 = {0, 0, 0, 5, 0, 0, 0, 6};
  auto old = registry.decode(0x0300, 2, v2, {});
  REQUIRE(old.ok());
  CHECK((*old)->as<Point>()->x == 5);
  CHECK((*old)->as<Point>()->y == 0);
  auto now = registry.decode(0x0300, 3, v3, {});
  REQUIRE(now.ok());
  CHECK((*now)->as<Point>()->y == 6);
  CHECK(registry.decode(0x0300, 2, v3, {}).error() == WireError::trailing_bytes);
  CHECK(registry.decode(0x0300, 1, v2, {}).error() == WireError::older_version);
  CHECK(registry.decode(0x0300, 4, v3, {}).error() == WireError::newer_version);
}

TEST_CASE("out-of-range fields are refused: reason kind, flag, over-long detail, body reference") {
  Registry registry = runtime_registry();
  auto exit_payload = [](std::uint8_t kind, std::uint32_t detail_length, std::uint8_t linked) {
    BodyTable none;
    Encoder out(none);
    out.pid(test::remote_pid(1));
    out.u8(kind);
    out.u32(detail_length);
    out.raw(std::string(detail_length, 'x'));
    out.u8(linked);
    return out.take();
  };
  CHECK(registry.decode(type_id::exit, 1, exit_payload(7, 0, 1), {}).ok());
  CHECK(registry.decode(type_id::exit, 1, exit_payload(8, 0, 1), {}).error() == WireError::bad_value);
  CHECK(registry.decode(type_id::exit, 1, exit_payload(0, 0, 2), {}).error() == WireError::bad_value);
  CHECK(registry.decode(type_id::exit, 1, exit_payload(5, max_reason_detail, 0), {}).ok());
  CHECK(registry.decode(type_id::exit, 1, exit_payload(5, max_reason_detail + 1, 0), {}).error() ==
        WireError::field_too_long);
  // The length alone is refused: nothing is read or reserved for it.
  std::string huge = exit_payload(5, 0, 0);
  huge.replace(9, 4, std::string("\xff\xff\xff\xff", 4));
  CHECK(registry.decode(type_id::exit, 1, huge, {}).error() == WireError::field_too_long);

  Payload blob = payload_of(registry, *sched::make_message<Blob>(Blob{1, mqtt::SharedBytes::copy_of("x")}));
  CHECK(registry.decode(type_id::blob, 1, blob.bytes, {}).error() == WireError::bad_body_ref);
}

TEST_CASE("a long exit detail is cut on sending, so the signal still crosses") {
  Registry registry = runtime_registry();
  auto exit = sched::make_signal<sched::signal::Exit>(test::remote_pid(5),
                                                      sched::ExitReason::error(std::string(10000, 'e')), false);
  FrameBuilder builder(registry);
  REQUIRE(builder.add(test::local_pid(1), *exit).ok());
  auto decoded = decode_frame(body_of(builder.finish()), registry);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->deliveries.size() == 1);
  CHECK(decoded->deliveries[0].message->as<sched::signal::Exit>()->reason.detail == std::string(max_reason_detail, 'e'));
}

TEST_CASE("a data frame cut at every point, or with a byte more, is refused whole") {
  Registry registry = runtime_registry();
  auto samples = test::sample_messages();
  FrameBuilder builder(registry);
  for (const MessagePtr& msg : samples) {
    Pid to[] = {test::local_pid(1), test::local_pid(2)};
    REQUIRE(builder.add(to, *msg).ok());
  }
  std::string body = body_of(builder.finish());
  REQUIRE(decode_frame(body, registry).ok());
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    CAPTURE(cut);
    auto r = decode_frame(std::string_view(body).substr(0, cut), registry);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == WireError::truncated);
  }
  CHECK(decode_frame(body + 'x', registry).error() == WireError::trailing_bytes);
  std::string other_kind = body;
  other_kind[0] = 0x42;
  CHECK(decode_frame(other_kind, registry).error() == WireError::unknown_frame_kind);
}

TEST_CASE("structural lies are refused: counts beyond the frame, an entry for no one") {
  Registry registry = runtime_registry();
  // kind, no bodies, 0xFFFFFFFF entries: refused without looping or reserving.
  std::string many = {16, 0, 0, '\xff', '\xff', '\xff', '\xff'};
  CHECK(decode_frame(many, registry).error() == WireError::truncated);
  std::string bodies = {16, '\xff', '\xff', 0, 0, 0, 0};
  CHECK(decode_frame(bodies, registry).error() == WireError::truncated);
  std::string no_one = {16, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0};
  no_one += std::string(9, '\0');
  CHECK(decode_frame(no_one, registry).error() == WireError::no_receivers);
}

TEST_CASE("an entry this node cannot decode is refused alone, the others are delivered") {
  Registry newer;
  add_runtime_types_v1(newer);
  struct Later {
    std::uint8_t v = 0;
  };
  newer.add<Later>(
      {.id = 0x0400, .name = "later"}, [](Encoder& out, const Later& l) { out.u8(l.v); },
      [](Decoder& in, std::uint8_t) { return Later{in.u8()}; });
  Registry older = runtime_registry();

  FrameBuilder builder(newer);
  REQUIRE(builder.add(test::local_pid(1), *sched::make_signal<sched::signal::Link>(test::remote_pid(1))).ok());
  Pid two[] = {test::local_pid(2), test::local_pid(3)};
  REQUIRE(builder.add(two, *sched::make_message<Later>(Later{4})).ok());
  REQUIRE(builder.add(test::local_pid(4), *sched::make_signal<sched::signal::Unlink>(test::remote_pid(1))).ok());
  auto decoded = decode_frame(body_of(builder.finish()), older);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->deliveries.size() == 2);
  CHECK(decoded->deliveries[0].to == test::local_pid(1));
  CHECK(decoded->deliveries[1].to == test::local_pid(4));
  REQUIRE(decoded->refused.size() == 1);
  const Refusal& r = decoded->refused[0];
  CHECK(r.entry == 1);
  CHECK(r.type == 0x0400);
  CHECK(r.receivers == 2);
  CHECK(r.error == WireError::unknown_type);
  CHECK(describe(r, older) == "entry 1: type 0x0400 (unknown) v1 for 2 pids: unknown type");
}

TEST_CASE("a newer version of a known type is refused and named") {
  struct Note {
    std::uint8_t v = 0;
  };
  auto registry_at = [](std::uint8_t version) {
    Registry r;
    r.add<Note>(
        {.id = 0x0500, .version = version, .name = "note"}, [](Encoder& out, const Note& n) { out.u8(n.v); },
        [](Decoder& in, std::uint8_t) { return Note{in.u8()}; });
    return r;
  };
  Registry v2 = registry_at(2);
  Registry v1 = registry_at(1);
  FrameBuilder builder(v2);
  REQUIRE(builder.add(test::local_pid(1), *sched::make_message<Note>(Note{1})).ok());
  auto decoded = decode_frame(body_of(builder.finish()), v1);
  REQUIRE(decoded.ok());
  CHECK(decoded->deliveries.empty());
  REQUIRE(decoded->refused.size() == 1);
  CHECK(describe(decoded->refused[0], v1) == "entry 0: type 0x0500 (note) v2 for 1 pid: newer version");
}

TEST_CASE("a body crosses once per frame, however many pids and messages share it") {
  Registry registry = runtime_registry();
  std::string text(1000, 'p');
  text += "unique-marker";
  auto body = mqtt::SharedBytes::copy_of(std::string_view(text));
  auto blob = sched::make_message<Blob>(Blob{1, body});
  auto other = sched::make_message<Blob>(Blob{2, body});
  FrameBuilder builder(registry);
  Pid three[] = {test::local_pid(1), test::local_pid(2), test::local_pid(3)};
  REQUIRE(builder.add(three, *blob).ok());
  REQUIRE(builder.add(test::local_pid(4), *other).ok());
  EncodedFrame frame = builder.finish();
  // The frame's pieces point into the payload's own buffer: not copied.
  auto pieces = frame.pieces();
  CHECK(std::any_of(pieces.begin(), pieces.end(), [&](auto p) { return p.data() == body.data(); }));
  std::string wire = frame.flatten();
  CHECK(wire.size() == frame.size());
  CHECK(count_of(wire, "unique-marker") == 1);
  CHECK(wire.size() < text.size() + 120);

  auto decoded = decode_frame(wire.substr(frame_prefix_size), registry);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->deliveries.size() == 4);
  const std::uint8_t* shared = decoded->deliveries[0].message->as<Blob>()->body.data();
  for (std::size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    const Blob* b = decoded->deliveries[i].message->as<Blob>();
    REQUIRE(b);
    CHECK(b->body == body);
    CHECK(b->body.data() == shared);  // one copy on the far side too
  }
  CHECK(decoded->deliveries[3].message->as<Blob>()->tag == 2);
}

TEST_CASE("the builder refuses what it cannot send and stays usable") {
  Registry registry = runtime_registry();
  FrameBuilder builder(registry, 200);
  auto link = sched::make_signal<sched::signal::Link>(test::remote_pid(1));
  REQUIRE(builder.add(test::local_pid(1), *link).ok());
  std::size_t before = builder.size();
  auto big = sched::make_message<Blob>(Blob{1, mqtt::SharedBytes::copy_of(std::string(300, 'b'))});
  CHECK(builder.add(test::local_pid(2), *big).error() == WireError::frame_too_large);
  CHECK(builder.size() == before);
  CHECK(builder.add(test::local_pid(2), *sched::make_message<Unregistered>()).error() == WireError::not_registered);
  CHECK(builder.add(std::span<const Pid>(), *link).error() == WireError::no_receivers);
  EncodedFrame frame = builder.finish();
  CHECK(frame.size() == before);
  CHECK(frame.size() <= 200);
  auto decoded = decode_frame(frame.flatten().substr(frame_prefix_size), registry);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->deliveries.size() == 1);
  CHECK(decoded->deliveries[0].message->is<sched::signal::Link>());
}

TEST_CASE("the frame reader splits a stream fed a byte at a time, ticks included") {
  Registry registry = runtime_registry();
  FrameBuilder builder(registry);
  REQUIRE(builder.add(test::local_pid(1), *sched::make_signal<sched::signal::Link>(test::remote_pid(1))).ok());
  std::string one = builder.finish().flatten();
  std::string stream = one + tick_frame() + make_frame("\x01xyz") + one;
  FrameReader reader;
  std::vector<std::string> bodies;
  for (char c : stream) {
    reader.feed(std::string_view(&c, 1));
    for (int guard = 0; guard < 10; ++guard) {
      auto next = reader.next();
      REQUIRE(next.ok());
      if (!next->has_value()) {
        break;
      }
      bodies.emplace_back(**next);
    }
  }
  REQUIRE(bodies.size() == 4);
  CHECK(bodies[0] == one.substr(4));
  CHECK(bodies[1].empty());
  CHECK(frame_kind(bodies[1]).value() == FrameKind::tick);
  CHECK(frame_kind(bodies[2]).value() == FrameKind::hello);
  CHECK(bodies[3] == bodies[0]);
  CHECK(reader.buffered() == 0);
}

TEST_CASE("the frame reader refuses an oversized frame from its length alone, and stays refused") {
  FrameReader reader(1024);
  reader.feed(make_frame(std::string(1024, 'a')));
  auto fits = reader.next();
  REQUIRE(fits.ok());
  REQUIRE(fits->has_value());
  CHECK((*fits)->size() == 1024);
  reader.feed(std::string("\x00\x00\x04\x01", 4));  // 1025: no body needed to refuse it
  CHECK(reader.next().error() == WireError::frame_too_large);
  reader.feed(tick_frame());
  CHECK(reader.next().error() == WireError::frame_too_large);
  CHECK(frame_kind("\x06").error() == WireError::unknown_frame_kind);
}

TEST_CASE("registering a type twice, or with an inconsistent TypeInfo, is a fault") {
  Registry registry = runtime_registry();
  CHECK(registry.size() == 7);
  auto enc = [](Encoder&, const Unregistered&) {};
  auto dec = [](Decoder&, std::uint8_t) { return Unregistered{}; };
  CHECK_THROWS_AS(registry.add<Unregistered>({.id = type_id::link, .name = "dup id"}, enc, dec),
                  std::invalid_argument);
  CHECK_THROWS_AS(registry.add<sched::signal::Link>({.id = 0x0900, .name = "dup type"},
                                                    [](Encoder&, const sched::signal::Link&) {},
                                                    [](Decoder&, std::uint8_t) { return sched::signal::Link{}; }),
                  std::invalid_argument);
  CHECK_THROWS_AS(registry.add<Unregistered>({.id = 0, .name = "zero"}, enc, dec), std::invalid_argument);
  CHECK_THROWS_AS(registry.add<Unregistered>({.id = 0x0901, .version = 1, .min_version = 2, .name = "range"}, enc, dec),
                  std::invalid_argument);
  CHECK(registry.size() == 7);
  registry.add<Unregistered>({.id = 0x0902, .name = "fine"}, enc, dec);
  CHECK(registry.find(0x0902) == registry.find_local(sched::type_of<Unregistered>()));
}

}  // namespace actormq::dist
