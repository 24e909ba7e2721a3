#pragma once
// Topic names and topic filters (MQTT 5.0 §4.7, shared subscriptions §4.8.2).
//
// Rules implemented here, with examples:
//  * A topic name is 1..65535 bytes without '+', '#' or U+0000.
//      valid: "sport/tennis", "/", "a//b", "$SYS/broker/uptime"
//      invalid: "", "sport/+", "sport/#", "a#"
//  * A topic filter is 1..65535 bytes; '+' fills a whole level; '#' fills a
//    whole level and is the last one.
//      valid: "#", "+", "sport/#", "+/tennis/#", "sport/+/player1", "/+", "+/+"
//      invalid: "", "sport/tennis#", "sport/#/ranking", "sport+", "#/", "a/b+"
//  * '#' matches its parent level too ("sport/tennis/#" matches "sport/tennis"),
//    '+' matches exactly one level, which may be empty ("+/+" matches "/finance").
//  * Filters beginning with a wildcard do not match topics beginning with '$'
//    ("#" does not match "$SYS/x"; "$SYS/#" does) [MQTT-4.7.2-1].
//  * "$share/{group}/{filter}": group is non-empty without '/', '+', '#';
//    filter is a valid topic filter.
// UTF-8 well-formedness is checked by the decoder, not here.

#include <cstddef>
#include <optional>
#include <string_view>

namespace actormq::mqtt {

/// True if `name` may be used in a PUBLISH (see the rules above).
[[nodiscard]] bool is_valid_topic_name(std::string_view name) noexcept;
/// True if `filter` is a syntactically valid topic filter.
[[nodiscard]] bool is_valid_topic_filter(std::string_view filter) noexcept;
/// True if `text` contains '+' or '#'.
[[nodiscard]] bool has_wildcards(std::string_view text) noexcept;

/// Number of levels: one more than the number of '/' ("a/b" 2, "/" 2, "a" 1).
[[nodiscard]] std::size_t topic_levels(std::string_view topic) noexcept;
/// True if `topic` has more than `max_levels` levels; 0 means no limit.
/// Stops counting as soon as the limit is passed.
[[nodiscard]] bool exceeds_max_levels(std::string_view topic, std::size_t max_levels) noexcept;

/// What a SUBSCRIBE/UNSUBSCRIBE filter string is.
enum class FilterKind : unsigned char {
  plain,    ///< an ordinary topic filter
  shared,   ///< "$share/{group}/{filter}"
  invalid,  ///< neither (bad syntax, or a malformed $share)
};

/// A parsed subscription filter; views into the input string.
struct ParsedFilter {
  FilterKind kind;
  std::string_view group;   ///< share name; empty unless kind == shared
  std::string_view filter;  ///< the filter to route on (without "$share/group/")
};

/// Classifies and validates a subscription filter.
[[nodiscard]] ParsedFilter parse_subscription_filter(std::string_view text) noexcept;

/// True if topic name `topic` matches topic filter `filter` (both assumed
/// valid; a shared filter must be passed without its "$share/group/" prefix).
[[nodiscard]] bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

/// Splits a topic or filter into levels without allocating:
/// "a//b" yields "a", "", "b"; "/" yields "", "".
class TopicLevels {
 public:
  explicit TopicLevels(std::string_view topic) noexcept : rest_(topic) {}
  /// The next level, or nullopt after the last one.
  [[nodiscard]] std::optional<std::string_view> next() noexcept;

 private:
  std::string_view rest_;
  bool done_ = false;
};

}  // namespace actormq::mqtt
