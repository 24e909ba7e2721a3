#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/session/out_queue.hpp"
#include "mqtt/encode.hpp"

using actormq::core::OutQueue;
using actormq::mqtt::ProtocolVersion;
using actormq::mqtt::SharedBytes;
using actormq::net::IoResult;

namespace {

constexpr auto v311 = ProtocolVersion::v3_1_1;

/// A peer that takes at most `budget` bytes (then would block) and keeps them.
class FakeStream final : public actormq::net::Stream {
 public:
  FakeStream() = default;
  ~FakeStream() override = default;

  IoResult read(std::span<std::uint8_t>) override { return {IoResult::Status::would_block, 0, 0}; }
  IoResult writev(const iovec* segments, int count) override {
    std::size_t took = 0;
    for (int i = 0; i < count && took < budget; ++i) {
      std::size_t n = std::min(segments[i].iov_len, budget - took);
      const auto* p = static_cast<const std::uint8_t*>(segments[i].iov_base);
      written.insert(written.end(), p, p + n);
      took += n;
    }
    if (took == 0) {
      return {IoResult::Status::would_block, 0, 0};
    }
    budget -= took;
    return {IoResult::Status::ok, took, 0};
  }
  void want_read(bool) override {}
  void want_write(bool) override {}
  void close() override {}
  std::string peer() const override { return "fake"; }

  std::size_t budget = std::numeric_limits<std::size_t>::max();
  std::vector<std::uint8_t> written;
};

std::vector<std::uint8_t> publish_bytes(const std::string& topic, const SharedBytes& payload) {
  actormq::mqtt::PublishHeader h;
  h.topic = topic;
  h.payload_size = payload.size();
  std::vector<std::uint8_t> out;
  REQUIRE(actormq::mqtt::encode_publish_header(h, v311, out));
  out.insert(out.end(), payload.data(), payload.data() + payload.size());
  return out;
}

/// Appends a QoS 0 PUBLISH to `q` and its expected bytes to `expected`.
void add_publish(OutQueue& q, std::vector<std::uint8_t>& expected, const std::string& topic,
                 const SharedBytes& payload) {
  actormq::mqtt::PublishHeader h;
  h.topic = topic;
  h.payload_size = payload.size();
  REQUIRE(q.append_publish(h, payload, v311));
  auto bytes = publish_bytes(topic, payload);
  expected.insert(expected.end(), bytes.begin(), bytes.end());
}

SharedBytes payload_of(std::size_t size, char fill) { return SharedBytes::copy_of(std::string(size, fill)); }

}  // namespace

TEST_CASE("out queue: bytes come out whole and in order across partial writes") {
  OutQueue q;
  FakeStream s;
  std::vector<std::uint8_t> expected;
  for (int i = 0; i < 300; ++i) {
    // Small payloads are copied, large ones shared; control packets between.
    add_publish(q, expected, "t/" + std::to_string(i), payload_of(i % 3 == 0 ? 1000 : 20, static_cast<char>('a' + i % 26)));
    actormq::mqtt::Puback ack;
    ack.packet_id = static_cast<std::uint16_t>(i + 1);
    REQUIRE(q.append(ack, v311));
    REQUIRE(actormq::mqtt::encode_append(ack, v311, expected));
  }
  CHECK(q.pending_bytes() == expected.size());
  for (int round = 0; round < 100000 && !q.empty(); ++round) {
    s.budget = 997;  // splits headers, payloads and iovec batches anywhere
    CHECK(q.flush(s) != OutQueue::Flushed::closed);
  }
  CHECK(q.empty());
  CHECK(s.written == expected);
  CHECK(q.buffer_bytes() == 0);  // an idle connection holds no write buffer
}

TEST_CASE("out queue: a reader always a little behind pins only what it has not read") {
  OutQueue q;
  FakeStream s;
  std::vector<std::uint8_t> expected;
  SharedBytes small = payload_of(40, 'x');
  // A backlog first, then each round the reader takes what was added: the
  // backlog never drains, and 6 MB go through.
  for (int i = 0; i < 1000; ++i) {
    add_publish(q, expected, "slow", small);
  }
  const std::size_t per_round = 50 * publish_bytes("slow", small).size();
  std::size_t peak = 0;
  for (int round = 0; round < 2500; ++round) {
    for (int i = 0; i < 50; ++i) {
      add_publish(q, expected, "slow", small);
    }
    s.budget = per_round;
    REQUIRE(q.flush(s) == OutQueue::Flushed::partial);
    REQUIRE_FALSE(q.empty());
    peak = std::max(peak, q.buffer_bytes());
  }
  CAPTURE(peak);
  CAPTURE(q.pending_bytes());
  CHECK(s.written.size() > 5'000'000);
  // What is held: the unread bytes and their segment lists, plus at most
  // the partly read block (16 KB of bytes, 16 KB of segments, doubled by
  // vector growth) -- not the 6 MB the reader took.
  CHECK(peak < q.pending_bytes() * 2 + 256 * 1024);
  s.budget = std::numeric_limits<std::size_t>::max();
  CHECK(q.flush(s) == OutQueue::Flushed::all);
  CHECK(s.written == expected);
  CHECK(q.buffer_bytes() == 0);
}

TEST_CASE("out queue: a shared payload is released once written, before the backlog drains") {
  OutQueue q;
  FakeStream s;
  std::vector<std::uint8_t> expected;
  SharedBytes first = payload_of(1000, 'a');
  SharedBytes second = payload_of(1000, 'b');
  add_publish(q, expected, "p", first);
  add_publish(q, expected, "p", second);
  CHECK(first.use_count() == 2);
  s.budget = publish_bytes("p", first).size() + 10;  // the first whole, a little of the second
  CHECK(q.flush(s) == OutQueue::Flushed::partial);
  CHECK(first.use_count() == 1);   // the queue let go of it
  CHECK(second.use_count() == 2);  // still to be written
  q.clear();
  CHECK(second.use_count() == 1);
  CHECK(q.buffer_bytes() == 0);
}
