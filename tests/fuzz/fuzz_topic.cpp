// Topic names and filters (mqtt/topic.cpp): the input is a filter and a
// topic name (the first byte is the filter's length). Validation is checked
// against the rules of mqtt/topic.hpp written out again here, matching
// against the test-only reference matcher of tests/core.

#include <algorithm>
#include <string>

#include "fuzz_util.hpp"
#include "mqtt/topic.hpp"
#include "tests/core/reference_match.hpp"

using namespace actormq::mqtt;
using actormq::core::testing::reference_match;
using actormq::core::testing::split_levels;

namespace {

bool reference_valid_name(std::string_view s) {
  return !s.empty() && s.size() <= 65535 && s.find_first_of(std::string_view("+#\0", 3)) == std::string_view::npos;
}

bool reference_valid_filter(std::string_view s) {
  if (s.empty() || s.size() > 65535 || s.find('\0') != std::string_view::npos) {
    return false;
  }
  auto levels = split_levels(s);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    std::string_view l = levels[i];
    if (l == "#" && i + 1 != levels.size()) {
      return false;
    }
    if (l.size() > 1 && l.find_first_of("+#") != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

void check_levels(std::string_view s) {
  std::string joined;
  std::size_t count = 0;
  TopicLevels levels(s);
  while (auto level = levels.next()) {
    joined += count++ == 0 ? "" : "/";
    joined += *level;
  }
  FUZZ_CHECK(joined == s);
  FUZZ_CHECK(count == topic_levels(s));
  FUZZ_CHECK(count == split_levels(s).size());
  for (std::size_t max : {std::size_t{0}, std::size_t{1}, std::size_t{3}, count, count + 1}) {
    FUZZ_CHECK(exceeds_max_levels(s, max) == (max != 0 && count > max));
  }
}

void check_subscription(std::string_view text) {
  ParsedFilter p = parse_subscription_filter(text);
  constexpr std::string_view share = "$share/";
  if (!text.starts_with(share)) {
    FUZZ_CHECK((p.kind == FilterKind::plain) == is_valid_topic_filter(text));
    FUZZ_CHECK(p.kind != FilterKind::shared);
    return;
  }
  if (p.kind != FilterKind::shared) {
    FUZZ_CHECK(p.kind == FilterKind::invalid);
    return;
  }
  FUZZ_CHECK(!p.group.empty());
  FUZZ_CHECK(p.group.find_first_of(std::string_view("/+#\0", 4)) == std::string_view::npos);
  FUZZ_CHECK(is_valid_topic_filter(p.filter));
  FUZZ_CHECK(std::string(share) + std::string(p.group) + "/" + std::string(p.filter) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  std::string_view rest = actormq::fuzz::as_text(data + 1, size - 1);
  std::string_view filter = rest.substr(0, std::min<std::size_t>(data[0], rest.size()));
  std::string_view topic = rest.substr(filter.size());

  for (std::string_view s : {filter, topic}) {
    FUZZ_CHECK(is_valid_topic_name(s) == reference_valid_name(s));
    FUZZ_CHECK(is_valid_topic_filter(s) == reference_valid_filter(s));
    FUZZ_CHECK(has_wildcards(s) == (s.find_first_of("+#") != std::string_view::npos));
    check_levels(s);
    check_subscription(s);
  }
  if (is_valid_topic_filter(filter) && is_valid_topic_name(topic)) {
    FUZZ_CHECK(topic_matches(filter, topic) == reference_match(filter, topic));
  }
  if (is_valid_topic_name(topic)) {
    // A name matches itself as a filter, and '#' unless it starts with '$'.
    FUZZ_CHECK(topic_matches(topic, topic));
    FUZZ_CHECK(topic_matches("#", topic) == (topic.front() != '$'));
  }
  return 0;
}
