#include "mqtt/topic.hpp"

#include <algorithm>

#include "mqtt/constants.hpp"

namespace actormq::mqtt {

namespace {

constexpr std::string_view share_prefix = "$share/";

bool length_ok(std::string_view s) noexcept { return !s.empty() && s.size() <= max_string_size; }

bool has_nul(std::string_view s) noexcept { return s.find('\0') != std::string_view::npos; }

}  // namespace

// One vectorised memchr per character searched for; find_first_of would call
// memchr once per character of the text.
bool has_wildcards(std::string_view text) noexcept {
  return text.find('+') != std::string_view::npos || text.find('#') != std::string_view::npos;
}

bool is_valid_topic_name(std::string_view name) noexcept {
  return length_ok(name) && !has_wildcards(name) && !has_nul(name);
}

bool is_valid_topic_filter(std::string_view filter) noexcept {
  if (!length_ok(filter) || has_nul(filter)) {
    return false;
  }
  TopicLevels levels(filter);
  while (auto level = levels.next()) {
    if (*level == "#") {
      // [MQTT-4.7.1-1]: '#' is the last character of the filter.
      return levels.next() == std::nullopt;
    }
    // [MQTT-4.7.1-2]: '+' occupies an entire level, and so does '#'.
    if (level->size() > 1 && has_wildcards(*level)) {
      return false;
    }
  }
  return true;
}

std::size_t topic_levels(std::string_view topic) noexcept {
  return 1 + static_cast<std::size_t>(std::count(topic.begin(), topic.end(), '/'));
}

bool exceeds_max_levels(std::string_view topic, std::size_t max_levels) noexcept {
  if (max_levels == 0) {
    return false;
  }
  std::size_t levels = 1;
  for (char c : topic) {
    if (c == '/' && ++levels > max_levels) {
      return true;
    }
  }
  return false;
}

ParsedFilter parse_subscription_filter(std::string_view text) noexcept {
  constexpr ParsedFilter invalid{FilterKind::invalid, {}, {}};
  if (!text.starts_with(share_prefix)) {
    return is_valid_topic_filter(text) ? ParsedFilter{FilterKind::plain, {}, text} : invalid;
  }
  if (text.size() > max_string_size) {
    return invalid;
  }
  std::string_view rest = text.substr(share_prefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return invalid;
  }
  std::string_view group = rest.substr(0, slash);
  std::string_view filter = rest.substr(slash + 1);
  // §4.8.2: the ShareName is at least one character and has no '/', '+', '#'.
  if (group.empty() || has_wildcards(group) || has_nul(group) || !is_valid_topic_filter(filter)) {
    return invalid;
  }
  return ParsedFilter{FilterKind::shared, group, filter};
}

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
  // [MQTT-4.7.2-1]
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  const std::size_t fn = filter.size();
  const std::size_t tn = topic.size();
  std::size_t f = 0;
  std::size_t t = 0;
  // Invariant at the top of the loop: f and t are at the start of a level.
  while (f < fn) {
    if (filter[f] == '#') {
      return true;
    }
    if (filter[f] == '+') {
      while (t < tn && topic[t] != '/') {
        ++t;
      }
      ++f;
    } else {
      for (; f < fn && filter[f] != '/'; ++f, ++t) {
        if (t == tn || topic[t] != filter[f]) {
          return false;
        }
      }
      if (t < tn && topic[t] != '/') {
        return false;
      }
    }
    if (f == fn) {
      return t == tn;
    }
    if (t == tn) {
      // "sport/tennis/#" also matches "sport/tennis" (§4.7.1.2).
      return fn - f == 2 && filter[f + 1] == '#';
    }
    ++f;
    ++t;
  }
  return t == tn;
}

std::optional<std::string_view> TopicLevels::next() noexcept {
  if (done_) {
    return std::nullopt;
  }
  const std::size_t slash = rest_.find('/');
  if (slash == std::string_view::npos) {
    done_ = true;
    return rest_;
  }
  std::string_view level = rest_.substr(0, slash);
  rest_.remove_prefix(slash + 1);
  return level;
}

}  // namespace actormq::mqtt
