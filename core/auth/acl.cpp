#include "core/auth/acl.hpp"

#include <algorithm>

#include "mqtt/topic.hpp"

namespace actormq::core {

namespace {

// The first blank-separated word of `text`, and what follows it.
struct Token {
  std::string_view word;
  std::string_view rest;
};

Token next_token(std::string_view text) {
  text = trim_blanks(text);
  std::size_t end = text.find_first_of(" \t");
  return {text.substr(0, end), end == std::string_view::npos ? std::string_view{} : text.substr(end)};
}

std::optional<std::uint8_t> access_of(std::string_view word) {
  if (word == "read") {
    return 1;
  }
  if (word == "write") {
    return 2;
  }
  if (word == "readwrite") {
    return 3;
  }
  if (word == "deny") {
    return 0;
  }
  return std::nullopt;
}

std::string substitute(const std::string& filter, const AclClient& who) {
  std::string out;
  out.reserve(filter.size() + who.client_id.size());
  for (std::size_t i = 0; i < filter.size(); ++i) {
    if (filter[i] == '%' && i + 1 < filter.size()) {
      if (filter[i + 1] == 'c') {
        out += who.client_id;
        ++i;
        continue;
      }
      if (filter[i + 1] == 'u' && who.username != nullptr) {
        out += *who.username;
        ++i;
        continue;
      }
    }
    out.push_back(filter[i]);
  }
  return out;
}

bool dangerous(std::string_view s) { return s.find_first_of("+#") != std::string_view::npos; }

// Deny rules first, each group in file order (mosquitto puts "deny" first).
std::vector<Acl::Rule> deny_first(std::vector<Acl::Rule> rules) {
  std::stable_partition(rules.begin(), rules.end(), [](const Acl::Rule& r) { return r.access == 0; });
  return rules;
}

// Level walkers for filter_covers / filters_intersect.
struct Walk {
  mqtt::TopicLevels levels;
  std::optional<std::string_view> level;
  explicit Walk(std::string_view f) : levels(f), level(levels.next()) {}
  void step() { level = levels.next(); }
  bool at_end() const { return !level.has_value(); }
  bool rest_is_hash() {  // the remaining levels are exactly "#"
    return level && *level == "#";
  }
};

bool starts_with_wildcard(std::string_view f) { return !f.empty() && (f.front() == '+' || f.front() == '#'); }
bool starts_with_dollar(std::string_view f) { return !f.empty() && f.front() == '$'; }

}  // namespace

bool filter_covers(std::string_view rule, std::string_view filter) noexcept {
  // [MQTT-4.7.2-1]: a rule starting with a wildcard matches no "$" topic.
  if (starts_with_wildcard(rule) && starts_with_dollar(filter)) {
    return false;
  }
  Walk r(rule);
  Walk f(filter);
  for (;;) {
    if (r.at_end()) {
      return f.at_end();
    }
    if (*r.level == "#") {
      return true;
    }
    if (f.at_end()) {
      return false;  // the filter stops (a topic with its levels) where the rule needs more
    }
    if (*f.level == "#") {
      return false;  // the filter goes on to levels the rule does not take
    }
    if (*r.level != "+" && (*f.level == "+" || *f.level != *r.level)) {
      return false;
    }
    r.step();
    f.step();
  }
}

bool filters_intersect(std::string_view a, std::string_view b) noexcept {
  if ((starts_with_wildcard(a) && starts_with_dollar(b)) || (starts_with_wildcard(b) && starts_with_dollar(a))) {
    return false;
  }
  Walk x(a);
  Walk y(b);
  for (;;) {
    if (x.at_end() || y.at_end()) {
      // "a/#" also matches "a": a filter ending here meets one whose rest is "#".
      return (x.at_end() && y.at_end()) || (x.at_end() ? y.rest_is_hash() : x.rest_is_hash());
    }
    if (*x.level == "#" || *y.level == "#") {
      return true;
    }
    if (*x.level != "+" && *y.level != "+" && *x.level != *y.level) {
      return false;
    }
    x.step();
    y.step();
  }
}

Result<Acl> Acl::parse(std::string_view text, const std::string& path) {
  Acl acl;
  std::vector<Rule>* section = &acl.anonymous_;
  Lines lines(text);
  while (auto entry = lines.next_entry()) {
    auto error = [&](std::string_view message) {
      return Failure{at_line(path, lines.number(), message)};
    };
    auto [keyword, after_keyword] = next_token(*entry);
    if (keyword == "user") {
      std::string_view user = trim_blanks(after_keyword);
      if (user.empty()) {
        return error("user: missing user name");
      }
      section = &acl.users_[std::string(user)];
      continue;
    }
    if (keyword != "topic" && keyword != "pattern") {
      return error("unknown keyword \"" + std::string(keyword) + "\" (expected topic, pattern or user)");
    }
    auto [first, after_first] = next_token(after_keyword);
    std::string_view filter = trim_blanks(after_first);
    std::uint8_t access = 3;
    if (first.empty()) {
      return error(std::string(keyword) + ": missing topic");
    }
    if (filter.empty()) {
      filter = first;  // mosquitto: "topic x" is "topic readwrite x", even for x = "read"
    } else if (auto a = access_of(first)) {
      access = *a;
    } else {
      return error("bad access \"" + std::string(first) + "\" (expected read, write, readwrite or deny)");
    }
    if (!mqtt::is_valid_topic_filter(filter)) {
      return error("invalid topic filter \"" + std::string(filter) + "\"");
    }
    Rule rule{std::string(filter), access, false, false};
    if (keyword == "pattern") {
      rule.uses_username = filter.find("%u") != std::string_view::npos;
      rule.substituted = rule.uses_username || filter.find("%c") != std::string_view::npos;
      acl.patterns_.push_back(std::move(rule));
    } else {
      section->push_back(std::move(rule));
    }
  }
  acl.anonymous_ = deny_first(std::move(acl.anonymous_));
  acl.patterns_ = deny_first(std::move(acl.patterns_));
  for (auto& [user, rules] : acl.users_) {
    rules = deny_first(std::move(rules));
  }
  return acl;
}

Result<Acl> Acl::load(const std::string& path) { return load_text_file<Acl>(path); }

template <class Match>
Acl::Verdict Acl::decide(const AclClient& who, Match&& match) const {
  const std::vector<Rule>* own = &anonymous_;
  if (who.username != nullptr) {
    auto it = users_.find(*who.username);
    own = it == users_.end() ? nullptr : &it->second;
  }
  if (own != nullptr) {
    for (const Rule& r : *own) {
      if (Verdict v = match(r.filter, r.access); v != Verdict::none) {
        return v;
      }
    }
  }
  if (patterns_.empty()) {
    return Verdict::deny;
  }
  if (dangerous(who.client_id) || (who.username != nullptr && dangerous(*who.username))) {
    return Verdict::deny;
  }
  for (const Rule& r : patterns_) {
    if (r.uses_username && who.username == nullptr) {
      continue;
    }
    Verdict v = r.substituted ? match(substitute(r.filter, who), r.access) : match(r.filter, r.access);
    if (v != Verdict::none) {
      return v;
    }
  }
  return Verdict::deny;
}

bool Acl::allows(const AclClient& who, std::string_view topic, AclAccess access) const {
  const auto want = static_cast<std::uint8_t>(access);
  return decide(who, [&](const std::string& filter, std::uint8_t granted) {
           if (!mqtt::topic_matches(filter, topic)) {
             return Verdict::none;
           }
           if (granted == 0) {
             return Verdict::deny;
           }
           return (granted & want) ? Verdict::allow : Verdict::none;
         }) == Verdict::allow;
}

bool Acl::allows_subscribe(const AclClient& who, std::string_view filter) const {
  return decide(who, [&](const std::string& rule, std::uint8_t granted) {
           if (granted == 0) {
             return filter_covers(rule, filter) ? Verdict::deny : Verdict::none;
           }
           return (granted & static_cast<std::uint8_t>(AclAccess::read)) && filters_intersect(rule, filter)
                      ? Verdict::allow
                      : Verdict::none;
         }) == Verdict::allow;
}

}  // namespace actormq::core
