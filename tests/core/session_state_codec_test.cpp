#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/session/session_state_codec.hpp"
#include "core/store/persistence.hpp"

using actormq::core::AppMessage;
using actormq::core::AppMessagePtr;
using actormq::core::decode_session_state;
using actormq::core::Deliver;
using actormq::core::encode_session_state;
using actormq::core::Inflight;
using actormq::core::SessionState;
using actormq::core::SessionStateDecoder;
using actormq::core::SubInfo;
using actormq::core::Subscription;
using actormq::core::to_stored;
using actormq::mqtt::QoS;
using actormq::mqtt::SharedBytes;

namespace {

AppMessagePtr message(const std::string& topic, const std::string& payload, bool props = false) {
  auto m = actormq::core::new_app_message();
  m->topic = topic;
  m->payload = SharedBytes::copy_of(payload);
  m->qos = QoS::exactly_once;
  m->retain = true;
  m->publisher = "pub-" + topic;
  m->received_ms = 1'765'000'000'123;
  if (props) {
    actormq::mqtt::Properties p;
    p.message_expiry_interval = 600;
    p.content_type = "text/plain";
    p.response_topic = "reply/" + topic;
    p.correlation_data = std::string("\x00\x01\xff", 3);
    p.user_properties.push_back({"k", "v"});
    m->set_properties(std::move(p));
  }
  return m;
}

Deliver deliver(AppMessagePtr msg, QoS qos, std::vector<std::uint32_t> ids = {}, std::string group = {}) {
  Deliver d;
  d.msg = std::move(msg);
  d.qos = qos;
  d.retain = true;
  d.subscription_ids = std::move(ids);
  d.shared_group = std::move(group);
  d.store_seq = 77;  // this node's store key: stays behind
  return d;
}

/// Every kind of record: subscriptions (plain and shared, v5 options), a QoS 1
/// and a released QoS 2 message in flight, a queue with properties,
/// subscription identifiers and a shared group, incoming QoS 2 ids.
SessionState full_state(std::size_t queued = 3) {
  SessionState s;
  s.last_packet_id = 65'000;
  s.inflight_seq = 41;
  s.subscriptions.emplace("a/+/c", Subscription::of("a/+/c", SubInfo{QoS::at_least_once, true, true, false, 7}));
  s.subscriptions.emplace("$share/g/x/#", Subscription::of("$share/g/x/#", SubInfo{QoS::exactly_once, false, false, false, 0}));
  s.inflight.emplace(std::uint16_t{12}, Inflight{40, deliver(message("f/1", "one", true), QoS::at_least_once, {7}), false});
  s.inflight.emplace(std::uint16_t{13}, Inflight{41, deliver(nullptr, QoS::exactly_once), true});
  for (std::size_t i = 0; i < queued; ++i) {
    s.queue.push_back(deliver(message("q/" + std::to_string(i), std::string(100, char('a' + i % 26)), i % 2 == 0),
                              static_cast<QoS>(i % 3), {std::uint32_t(i + 1)}, i == 1 ? "g" : ""));
  }
  s.awaiting_rel = {5, 9};
  actormq::mqtt::Properties will_props;
  will_props.will_delay_interval = 30;
  will_props.content_type = "text/plain";
  s.will = std::make_unique<actormq::mqtt::Will>(
      actormq::mqtt::Will{"will/t", SharedBytes::copy_of(std::string_view("gone")), QoS::at_least_once, true, will_props});
  return s;
}

void check_same_message(const AppMessagePtr& a, const AppMessagePtr& b) {
  REQUIRE((a == nullptr) == (b == nullptr));
  if (a) {
    CHECK(to_stored(*a) == to_stored(*b));  // topic, payload, QoS, RETAIN, properties, publisher, arrival
    CHECK(b->body.writer() == nullptr);     // not tied to any store yet
  }
}

void check_same_delivery(const Deliver& a, const Deliver& b) {
  check_same_message(a.msg, b.msg);
  CHECK(a.qos == b.qos);
  CHECK(a.retain == b.retain);
  CHECK(a.subscription_ids == b.subscription_ids);
  CHECK(a.shared_group == b.shared_group);
  CHECK(b.store_seq == 0);
  CHECK(b.hold == nullptr);
}

void check_same(const SessionState& a, const SessionState& b) {
  CHECK(a.last_packet_id == b.last_packet_id);
  CHECK(a.inflight_seq == b.inflight_seq);
  REQUIRE(a.subscriptions.size() == b.subscriptions.size());
  for (const auto& [full, sub] : a.subscriptions) {
    auto it = b.subscriptions.find(full);
    REQUIRE(it != b.subscriptions.end());
    CHECK(it->second.filter(full) == sub.filter(full));
    CHECK(it->second.group(full) == sub.group(full));
    CHECK(it->second.info.max_qos == sub.info.max_qos);
    CHECK(it->second.info.no_local == sub.info.no_local);
    CHECK(it->second.info.retain_as_published == sub.info.retain_as_published);
    CHECK(it->second.info.subscription_id == sub.info.subscription_id);
  }
  REQUIRE(a.inflight.size() == b.inflight.size());
  for (const auto& [id, f] : a.inflight) {
    auto it = b.inflight.find(id);
    REQUIRE(it != b.inflight.end());
    CHECK(it->second.seq == f.seq);
    CHECK(it->second.released == f.released);
    check_same_delivery(f.delivery, it->second.delivery);
  }
  REQUIRE(a.queue.size() == b.queue.size());
  auto bi = b.queue.begin();
  for (const Deliver& d : a.queue) {
    check_same_delivery(d, *bi++);  // in order
  }
  CHECK(a.awaiting_rel == b.awaiting_rel);
  REQUIRE((a.will == nullptr) == (b.will == nullptr));
  if (a.will) {
    CHECK(*a.will == *b.will);  // with its Will Delay Interval
  }
}

std::vector<std::string> one_part(std::string part) { return {std::move(part)}; }

}  // namespace

TEST_CASE("session state codec: an empty state is one part and comes back empty") {
  auto parts = encode_session_state(SessionState{});
  REQUIRE(parts.size() == 1);
  auto back = decode_session_state(parts);
  REQUIRE(back);
  check_same(SessionState{}, *back);
}

TEST_CASE("session state codec: every field of every record comes back, the queue in order") {
  SessionState s = full_state();
  auto back = decode_session_state(encode_session_state(s));
  REQUIRE(back);
  check_same(s, *back);
}

TEST_CASE("session state codec: a large queue is cut into parts of about the size asked, and reassembled") {
  SessionState s = full_state(500);
  auto parts = encode_session_state(s, 4096);
  CHECK(parts.size() > 10);
  for (const std::string& p : parts) {
    CHECK(p.size() < 4096 + 512);  // a part closes at the first record past the size
  }
  auto back = decode_session_state(parts);
  REQUIRE(back);
  check_same(s, *back);
}

TEST_CASE("session state codec: a message shared by two entries travels in each") {
  SessionState s;
  AppMessagePtr m = message("t", "same");
  s.queue.push_back(deliver(m, QoS::at_least_once, {1}));
  s.queue.push_back(deliver(m, QoS::exactly_once, {2}));
  auto back = decode_session_state(encode_session_state(s));
  REQUIRE(back);
  check_same(s, *back);
}

TEST_CASE("session state codec: a part missing, repeated, reordered or cut is refused as a whole") {
  auto parts = encode_session_state(full_state(200), 2048);
  REQUIRE(parts.size() >= 3);

  SUBCASE("the last part missing") {
    parts.pop_back();
    auto r = decode_session_state(parts);
    REQUIRE_FALSE(r);
    CHECK(r.error().text() == "session state: the last part is missing");
  }
  SUBCASE("a middle part missing: the counts do not match") {
    parts.erase(parts.begin() + 1);
    CHECK_FALSE(decode_session_state(parts));
  }
  SUBCASE("a part after the last") {
    parts.push_back(parts.back());
    auto r = decode_session_state(parts);
    REQUIRE_FALSE(r);
    CHECK(r.error().text() == "session state: a part after the last one");
  }
  SUBCASE("the first part twice: a second header") {
    parts.insert(parts.begin() + 1, parts.front());
    CHECK_FALSE(decode_session_state(parts));
  }
  SUBCASE("the first part not first") {
    std::swap(parts[0], parts[1]);
    CHECK_FALSE(decode_session_state(parts));
  }
  SUBCASE("every part cut short at every length") {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      for (std::size_t n = 0; n < parts[i].size(); n += 7) {
        auto cut = parts;
        cut[i].resize(n);
        CHECK_FALSE(decode_session_state(cut));
      }
    }
  }
}

TEST_CASE("session state codec: a malformed record is refused, never half adopted") {
  SessionState s;
  s.inflight.emplace(std::uint16_t{1}, Inflight{1, deliver(message("t", "p"), QoS::at_least_once), false});
  std::string good = encode_session_state(s).front();
  REQUIRE(decode_session_state(one_part(good)));

  SUBCASE("an unknown format") {
    good[0] = 2;
    CHECK_FALSE(decode_session_state(one_part(good)));
  }
  SUBCASE("an unknown record tag") {
    good[1 + 11] = 9;  // the tag after the header (tag, u16, u64)
    CHECK_FALSE(decode_session_state(one_part(good)));
  }
  SUBCASE("an empty part") {
    CHECK_FALSE(decode_session_state(one_part("")));
    CHECK_FALSE(decode_session_state(one_part(std::string(1, '\1'))));
  }
  SUBCASE("flipping any byte never crashes, and what decodes re-encodes to itself") {
    for (std::size_t i = 0; i < good.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
        auto r = decode_session_state(one_part(bad));
        if (r) {
          auto again = decode_session_state(encode_session_state(*r));
          REQUIRE(again);
          check_same(*r, *again);
        }
      }
    }
  }
}

TEST_CASE("session state codec: a subscription whose filter or group is not its full filter's is refused") {
  SessionState s;
  s.subscriptions.emplace("$share/g/x/#", Subscription::of("$share/g/x/#", SubInfo{QoS::at_least_once}));
  const std::string good = encode_session_state(s).front();
  const std::size_t full_at = good.find("$share/g/x/#");
  REQUIRE(full_at != std::string::npos);
  const std::size_t filter_at = good.find("x/#", full_at + 12);  // the filter part, after the full filter
  REQUIRE(filter_at != std::string::npos);
  auto decoded = decode_session_state(one_part(good));
  REQUIRE(decoded);
  const auto& [full, sub] = *decoded->subscriptions.begin();
  CHECK(sub.filter(full) == "x/#");
  CHECK(sub.group(full) == "g");
  std::string other_filter = good;
  other_filter[filter_at] = 'y';
  CHECK_FALSE(decode_session_state(one_part(other_filter)));
  std::string other_group = good;
  other_group[good.find('g', filter_at + 3)] = 'h';
  CHECK_FALSE(decode_session_state(one_part(other_group)));
}

TEST_CASE("session state codec: entries that cannot be in a session are refused") {
  auto refuses = [](SessionState s) { return !decode_session_state(encode_session_state(s)); };
  SessionState zero_id;
  zero_id.inflight.emplace(std::uint16_t{0}, Inflight{1, deliver(message("t", "p"), QoS::at_least_once), false});
  CHECK(refuses(std::move(zero_id)));
  SessionState qos0_inflight;
  qos0_inflight.inflight.emplace(std::uint16_t{3}, Inflight{1, deliver(message("t", "p"), QoS::at_most_once), false});
  CHECK(refuses(std::move(qos0_inflight)));
  SessionState released_qos1;
  released_qos1.inflight.emplace(std::uint16_t{3}, Inflight{1, deliver(nullptr, QoS::at_least_once), true});
  CHECK(refuses(std::move(released_qos1)));
  SessionState unreleased_without_message;
  unreleased_without_message.inflight.emplace(std::uint16_t{3}, Inflight{1, deliver(nullptr, QoS::exactly_once), false});
  CHECK(refuses(std::move(unreleased_without_message)));
  SessionState queued_without_message;
  queued_without_message.queue.push_back(deliver(nullptr, QoS::at_least_once));
  CHECK(refuses(std::move(queued_without_message)));
  SessionState twice_awaiting;
  twice_awaiting.awaiting_rel = {4, 4};
  CHECK(refuses(std::move(twice_awaiting)));
  SessionState will_without_topic;
  will_without_topic.will = std::make_unique<actormq::mqtt::Will>();
  CHECK_FALSE(refuses(std::move(will_without_topic)));  // a will's topic was checked at CONNECT, not here
  SessionState empty_filter;
  empty_filter.subscriptions.emplace("", Subscription::of("", SubInfo{}));
  CHECK(refuses(std::move(empty_filter)));
}
