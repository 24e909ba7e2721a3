// The filter trie (core/routing/topic_trie.hpp) and the retained index
// (core/routing/retained_index.hpp) against a plain model: the input is lines of
// operations, one character and an argument each:
//   a<filter>  subscribe          d<filter>  unsubscribe
//   s<topic>   retain a message   e<topic>   delete a retained message
//   m<text>    match: the text as topic name through the trie and as filter
//              through the retained index
// Arguments that mqtt/topic.hpp would refuse, or deeper than max_levels (the
// broker's max_topic_levels bounds the walks' recursion), are skipped.

#include <map>
#include <set>
#include <string>

#include "core/routing/retained_index.hpp"
#include "core/routing/topic_trie.hpp"
#include "fuzz_util.hpp"
#include "mqtt/topic.hpp"
#include "tests/core/reference_match.hpp"

using namespace actormq;
using core::testing::reference_match;

namespace {

constexpr std::size_t max_levels = 32;
constexpr std::size_t max_entries = 64;

struct Model {
  core::FilterTrie<int> trie;
  core::RetainedIndex<int> retained;
  std::map<std::string, int> filters;
  std::map<std::string, int> topics;
  int next_value = 1;
};

bool usable_filter(std::string_view s) {
  return mqtt::is_valid_topic_filter(s) && !mqtt::exceeds_max_levels(s, max_levels);
}
bool usable_topic(std::string_view s) {
  return mqtt::is_valid_topic_name(s) && !mqtt::exceeds_max_levels(s, max_levels);
}

void check_match(const Model& m, std::string_view text) {
  if (usable_topic(text)) {
    std::map<std::string, int> got;
    m.trie.match(text, [&](const auto& terminal) {
      FUZZ_CHECK(got.emplace(terminal.filter, terminal.payload).second);  // once each
    });
    std::map<std::string, int> want;
    for (const auto& [filter, value] : m.filters) {
      if (reference_match(filter, text)) {
        want.emplace(filter, value);
      }
    }
    FUZZ_CHECK(got == want);
  }
  if (usable_filter(text)) {
    std::map<std::string, int> got;
    m.retained.match(text, [&](std::string_view topic, int value) {
      FUZZ_CHECK(got.emplace(std::string(topic), value).second);
    });
    std::map<std::string, int> want;
    for (const auto& [topic, value] : m.topics) {
      if (reference_match(text, topic)) {
        want.emplace(topic, value);
      }
    }
    FUZZ_CHECK(got == want);
  }
}

void apply(Model& m, char op, std::string_view arg) {
  switch (op) {
    case 'a':
      if (usable_filter(arg) && m.filters.size() < max_entries) {
        int value = m.next_value++;
        m.trie.emplace(arg) = value;
        m.filters[std::string(arg)] = value;
      }
      break;
    case 'd':
      if (usable_filter(arg)) {
        FUZZ_CHECK(m.trie.erase(arg) == (m.filters.erase(std::string(arg)) == 1));
      }
      break;
    case 's':
      if (usable_topic(arg) && m.topics.size() < max_entries) {
        int value = m.next_value++;
        bool is_new = m.topics.find(std::string(arg)) == m.topics.end();
        FUZZ_CHECK(m.retained.set(arg, value) == is_new);
        m.topics[std::string(arg)] = value;
      }
      break;
    case 'e':
      if (usable_topic(arg)) {
        FUZZ_CHECK(m.retained.erase(arg) == (m.topics.erase(std::string(arg)) == 1));
      }
      break;
    case 'm':
      check_match(m, arg);
      break;
    default:
      break;
  }
}

void check_contents(const Model& m) {
  FUZZ_CHECK(m.trie.size() == m.filters.size());
  FUZZ_CHECK(m.retained.size() == m.topics.size());
  for (const auto& [filter, value] : m.filters) {
    const int* found = m.trie.find(filter);
    FUZZ_CHECK(found != nullptr && *found == value);
  }
  for (const auto& [topic, value] : m.topics) {
    const int* found = m.retained.find(topic);
    FUZZ_CHECK(found != nullptr && *found == value);
  }
  std::map<std::string, int> all;
  m.retained.for_each([&](std::string_view topic, int value) { all.emplace(std::string(topic), value); });
  FUZZ_CHECK(all == m.topics);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Model m;
  std::string_view text = fuzz::as_text(data, size);
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty()) {
      apply(m, line.front(), line.substr(1));
    }
  }
  check_contents(m);
  // Removing everything prunes every node.
  for (const auto& [filter, value] : m.filters) {
    FUZZ_CHECK(m.trie.erase(filter));
  }
  for (const auto& [topic, value] : m.topics) {
    FUZZ_CHECK(m.retained.erase(topic));
  }
  FUZZ_CHECK(m.trie.empty() && m.trie.node_count() == 0);
  FUZZ_CHECK(m.retained.empty() && m.retained.node_count() == 0);
  return 0;
}
