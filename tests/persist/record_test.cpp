#include "persist/record.hpp"

#include <doctest/doctest.h>

namespace actormq::persist {

namespace {
StoredMessage sample_message() {
  StoredMessage m;
  m.topic = "sensors/a/temp";
  m.payload = mqtt::SharedBytes::copy_of(std::string_view("21.5\0x", 6));
  m.qos = mqtt::QoS::exactly_once;
  m.retain = true;
  m.properties.message_expiry_interval = 60;
  m.properties.content_type = "text/plain";
  m.properties.user_properties.push_back({"k", "v"});
  m.publisher = "dev-1";
  m.received_ms = 1'700'000'000'123;
  return m;
}

StoredSession sample_session() {
  StoredSession s;
  s.protocol_version = 5;
  s.session_expiry_s = 3600;
  s.disconnected_ms = 1'700'000'000'000;
  s.last_packet_id = 65535;
  s.subscriptions.push_back({"a/+", "a/+", "", mqtt::QoS::at_least_once, true, false, 7});
  s.subscriptions.push_back({"$share/g/b/#", "b/#", "g", mqtt::QoS::exactly_once, false, true, 0});
  s.will = StoredWill{sample_message(), 30};
  s.username = "alice";
  s.listener_index = 3;
  return s;
}
}  // namespace

TEST_CASE("a message survives encode and decode, properties included") {
  StoredMessage m = sample_message();
  auto back = decode_message(encode(m));
  REQUIRE(back);
  CHECK(*back == m);
  StoredMessage empty;
  auto back_empty = decode_message(encode(empty));
  REQUIRE(back_empty);
  CHECK(*back_empty == empty);
}

TEST_CASE("entries and sessions survive encode and decode") {
  StoredEntry e{42, mqtt::QoS::at_least_once, true, true, 9, {1, 268435455}};
  auto eb = decode_entry(encode(e));
  REQUIRE(eb);
  CHECK(*eb == e);
  StoredSession s = sample_session();
  auto sb = decode_session(encode(s));
  REQUIRE(sb);
  CHECK(*sb == s);
  s.will.reset();
  s.subscriptions.clear();
  s.username.reset();
  s.listener_index = 0;
  auto plain = decode_session(encode(s));
  REQUIRE(plain);
  CHECK(*plain == s);
  s.username = "";  // an empty username is a username, not anonymous
  auto empty_user = decode_session(encode(s));
  REQUIRE(empty_user);
  CHECK(empty_user->username == std::optional<std::string>(""));
}

TEST_CASE("a format 1 session record (no username, no listener) still reads") {
  // Written by hand as format 1 laid it out: version 1, protocol level 5,
  // expiry 3600 s, disconnected at 1234 ms, last packet id 7, one
  // subscription ("a/#", QoS 1, subscription id 9), no will.
  using namespace std::string_literals;
  std::string v1 = "\x01\x05"s + "\x00\x00\x0e\x10"s + "\x00\x00\x00\x00\x00\x00\x04\xd2"s + "\x00\x07"s +
                   "\x00\x00\x00\x01"s + "\x00\x00\x00\x03" "a/#"s + "\x00\x00\x00\x03" "a/#"s +
                   "\x00\x00\x00\x00"s + "\x01\x00\x00"s + "\x00\x00\x00\x09"s + "\x00"s;
  auto s = decode_session(v1);
  REQUIRE(s);
  CHECK(s->protocol_version == 5);
  CHECK(s->session_expiry_s == 3600);
  CHECK(s->disconnected_ms == 1234);
  CHECK(s->last_packet_id == 7);
  REQUIRE(s->subscriptions.size() == 1);
  CHECK(s->subscriptions[0] == StoredSubscription{"a/#", "a/#", "", mqtt::QoS::at_least_once, false, false, 9});
  CHECK_FALSE(s->will);
  CHECK_FALSE(s->username);
  CHECK(s->listener_index == 0);
  // Format 1 with format 2's fields appended is malformed (trailing bytes).
  CHECK_FALSE(decode_session(v1 + "\x00\x00\x00"s));
  // And format 2 needs them.
  std::string v2_short = v1;
  v2_short[0] = 2;
  CHECK_FALSE(decode_session(v2_short));
  std::string v2 = v2_short + "\x01\x00\x00\x00\x03" "bob"s + "\x00\x02"s;
  auto s2 = decode_session(v2);
  REQUIRE(s2);
  CHECK(s2->username == std::optional<std::string>("bob"));
  CHECK(s2->listener_index == 2);
  CHECK(encode(*s2) == v2);
  // Version 3 is unknown.
  std::string v3 = v2;
  v3[0] = 3;
  CHECK_FALSE(decode_session(v3));
}

TEST_CASE("every truncation of a record is rejected") {
  for (const std::string& full : {encode(sample_message()), encode(sample_session()),
                                  encode(StoredEntry{1, mqtt::QoS::at_least_once, false, false, 1, {5}})}) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      std::string_view cut(full.data(), n);
      CHECK_FALSE(decode_message(cut));
      CHECK_FALSE(decode_session(cut));
      CHECK_FALSE(decode_entry(cut));
    }
  }
}

TEST_CASE("malformed records are rejected, not misread") {
  std::string m = encode(sample_message());
  CHECK_FALSE(decode_message(m + "x"));  // trailing bytes
  std::string bad_version = m;
  bad_version[0] = 9;
  CHECK_FALSE(decode_message(bad_version));
  // A length that points past the end.
  std::string long_topic = m;
  long_topic[1] = '\x7f';
  CHECK_FALSE(decode_message(long_topic));
  // QoS 3 in an entry; flag byte 2; body id 0.
  std::string e = encode(StoredEntry{1, mqtt::QoS::at_least_once, false, false, 1, {}});
  std::string qos3 = e;
  qos3[9] = 3;
  CHECK_FALSE(decode_entry(qos3));
  std::string flag2 = e;
  flag2[10] = 2;
  CHECK_FALSE(decode_entry(flag2));
  CHECK_FALSE(decode_entry(encode(StoredEntry{0, mqtt::QoS::at_least_once, false, false, 1, {}})));
  // A huge subscription-id count must not allocate: it is more than the record holds.
  std::string huge = e;
  huge[huge.size() - 4] = '\x7f';
  CHECK_FALSE(decode_entry(huge));
  // Session: protocol level 9; an invalid property inside the will.
  std::string s = encode(sample_session());
  s[1] = 9;
  CHECK_FALSE(decode_session(s));
  CHECK_FALSE(decode_session(""));
  CHECK_FALSE(decode_entry(std::string(100, '\xff')));
  CHECK_FALSE(decode_message(std::string(100, '\x01')));
}

TEST_CASE("flipping any byte never makes the decoders read out of bounds") {
  std::string s = encode(sample_session());
  for (std::size_t i = 0; i < s.size(); ++i) {
    for (unsigned char x : {0x01u, 0x80u, 0xffu}) {
      std::string t = s;
      t[i] = static_cast<char>(t[i] ^ x);
      auto r = decode_session(t);  // may decode to other values; must not crash
      (void)r;
    }
  }
}

TEST_CASE("session keys keep one client's entries together and in order") {
  std::string a1 = session_key("a", 1);
  std::string a2 = session_key("a", 256);
  std::string ab = session_key("ab", 0);
  CHECK(a1 < a2);
  CHECK(a2 < ab);  // "a\0..." sorts before "ab..."
  CHECK(a1.starts_with(session_prefix("a")));
  CHECK_FALSE(ab.starts_with(session_prefix("a")));
  auto k = parse_session_key(a2);
  REQUIRE(k);
  CHECK(k->client_id == "a");
  CHECK(k->n == 256);
  CHECK_FALSE(parse_session_key("short"));
  CHECK_FALSE(parse_session_key(std::string("abcdefghij", 10)));
  CHECK(parse_body_key(body_key(0x0102030405060708ull)) == 0x0102030405060708ull);
  CHECK_FALSE(parse_body_key("1234567"));
}

}  // namespace actormq::persist
