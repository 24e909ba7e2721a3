#pragma once
// The test-only reference matcher for topic filters, written straight from
// MQTT 4.7 with no code shared with core/: the trie and retained index tests
// cross-check their answers against it.

#include <string_view>
#include <vector>

namespace actormq::core::testing {

inline std::vector<std::string_view> split_levels(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

inline bool reference_match(std::string_view filter, std::string_view topic) {
  auto f = split_levels(filter);
  auto t = split_levels(topic);
  if (!topic.empty() && topic[0] == '$' && (f[0] == "+" || f[0] == "#")) {
    return false;
  }
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") {
      return true;
    }
    if (i >= t.size()) {
      return false;
    }
    if (f[i] != "+" && f[i] != t[i]) {
      return false;
    }
  }
  return f.size() == t.size();
}

}  // namespace actormq::core::testing
