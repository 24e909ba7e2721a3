#include "mqtt/topic.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace actormq::mqtt;

TEST_CASE("topic names") {
  for (const char* valid : {"sport/tennis", "/", "a//b", "$SYS/broker/uptime", "a", " ",
                            "sport/tennis/player1/", "\xC3\xA9/\xE2\x82\xAC"}) {
    CAPTURE(valid);
    CHECK(is_valid_topic_name(valid));
  }
  for (const char* invalid : {"", "sport/+", "sport/#", "a#", "+", "#", "a/+/b"}) {
    CAPTURE(invalid);
    CHECK_FALSE(is_valid_topic_name(invalid));
  }
  CHECK_FALSE(is_valid_topic_name(std::string("a\0b", 3)));
  CHECK(is_valid_topic_name(std::string(65'535, 'a')));
  CHECK_FALSE(is_valid_topic_name(std::string(65'536, 'a')));
}

TEST_CASE("topic filters") {
  for (const char* valid : {"#", "+", "sport/#", "+/tennis/#", "sport/+/player1", "/+", "+/+",
                            "sport/tennis", "/", "//", "+/+/+", "$SYS/#", "$share/g/a",
                            "a//#", "/#"}) {
    CAPTURE(valid);
    CHECK(is_valid_topic_filter(valid));
  }
  for (const char* invalid : {"", "sport/tennis#", "sport/#/ranking", "sport+", "#/", "a/b+",
                              "++", "##", "+#", "a/#/", "#/#", "+a/b"}) {
    CAPTURE(invalid);
    CHECK_FALSE(is_valid_topic_filter(invalid));
  }
  CHECK_FALSE(is_valid_topic_filter(std::string("a/\0", 3)));
  CHECK_FALSE(is_valid_topic_filter(std::string(65'536, 'a')));
}

TEST_CASE("shared subscription filters") {
  auto p = parse_subscription_filter("$share/consumers/sport/+/score");
  CHECK(p.kind == FilterKind::shared);
  CHECK(p.group == "consumers");
  CHECK(p.filter == "sport/+/score");
  p = parse_subscription_filter("$share/g/#");
  CHECK(p.kind == FilterKind::shared);
  CHECK(p.filter == "#");
  p = parse_subscription_filter("sport/#");
  CHECK(p.kind == FilterKind::plain);
  CHECK(p.filter == "sport/#");
  CHECK(p.group.empty());
  CHECK(parse_subscription_filter("$share").kind == FilterKind::plain);
  CHECK(parse_subscription_filter("$sharex/g/a").kind == FilterKind::plain);
  for (const char* invalid : {"$share/", "$share/g", "$share//a", "$share/g/", "$share/g+/a",
                              "$share/#/a", "$share/+/a", "$share/g/a#", "$share/g/#/a",
                              "a/#/b", ""}) {
    CAPTURE(invalid);
    CHECK(parse_subscription_filter(invalid).kind == FilterKind::invalid);
  }
}

TEST_CASE("topic matching") {
  struct Case {
    const char* filter;
    const char* topic;
    bool matches;
  };
  const Case cases[] = {
      {"sport/tennis/player1/#", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
      {"sport/#", "sport", true},
      {"sport/tennis/#", "sport/tennis", true},
      {"sport/tennis/#", "sport/tennisx", false},
      {"sport/tennis/#", "sport", false},
      {"#", "sport/tennis", true},
      {"#", "/", true},
      {"#", "a", true},
      {"sport/tennis/+", "sport/tennis/player1", true},
      {"sport/tennis/+", "sport/tennis/player1/ranking", false},
      {"sport/+", "sport", false},
      {"sport/+", "sport/", true},
      {"+", "sport", true},
      {"+", "/finance", false},
      {"/+", "/finance", true},
      {"+/+", "/finance", true},
      {"+/+", "a/b/c", false},
      {"+/tennis/#", "sport/tennis/player1", true},
      {"+/tennis/#", "sport/tennis", true},
      {"a/+/c", "a//c", true},
      {"a//c", "a//c", true},
      {"a/b", "a/b/", false},
      {"a/b/", "a/b", false},
      {"a/b", "A/b", false},
      {"+/+/+", "a/b/c", true},
      {"/#", "/", true},
      {"/#", "a", false},
      // [MQTT-4.7.2-1]: '$' topics are not matched by a leading wildcard.
      {"#", "$SYS/broker/uptime", false},
      {"+/monitor/Clients", "$SYS/monitor/Clients", false},
      {"$SYS/#", "$SYS/monitor/Clients", true},
      {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
      {"$SYS/#", "$SYS", true},
      {"+", "$SYS", false},
      {"a/#", "a/$SYS", true},
      {"a/+", "a/$b", true},
      {"$share/g/a", "$share/g/a", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.filter);
    CAPTURE(c.topic);
    CHECK(topic_matches(c.filter, c.topic) == c.matches);
  }
}

TEST_CASE("topic levels") {
  CHECK(topic_levels("a") == 1);
  CHECK(topic_levels("a/b") == 2);
  CHECK(topic_levels("/") == 2);
  CHECK(topic_levels("a//b/") == 4);
  CHECK_FALSE(exceeds_max_levels("a/b/c", 3));
  CHECK(exceeds_max_levels("a/b/c/d", 3));
  CHECK_FALSE(exceeds_max_levels("a/b/c/d/e/f", 0));
  CHECK(exceeds_max_levels("////", 4));
}

TEST_CASE("level splitting") {
  auto split = [](std::string_view s) {
    std::vector<std::string> out;
    TopicLevels levels(s);
    while (auto l = levels.next()) {
      out.emplace_back(*l);
    }
    return out;
  };
  CHECK(split("a/b/c") == std::vector<std::string>{"a", "b", "c"});
  CHECK(split("a//b") == std::vector<std::string>{"a", "", "b"});
  CHECK(split("/") == std::vector<std::string>{"", ""});
  CHECK(split("a") == std::vector<std::string>{"a"});
  CHECK(split("") == std::vector<std::string>{""});
  CHECK(split("sport/#") == std::vector<std::string>{"sport", "#"});
}
