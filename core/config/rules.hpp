#pragma once
// The table-driven rule engine of the config: a key table (KeySpec rows) says
// for each key its JSON type, range, default and meaning; these templates
// apply a JSON object to a struct by it, check ranges, and write the README's
// key docs. The tables themselves are in config.cpp.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/config.hpp"
#include "core/result.hpp"

namespace actormq::core::config_rules {

using Json = nlohmann::json;
using Errors = std::vector<std::string>;

/// The usual upper bounds of an integer key.
inline constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int64_t uint32_max = std::numeric_limits<std::uint32_t>::max();

template <class T>
struct IntRule {
  std::int64_t T::*member;
  std::int64_t min;
  std::int64_t max;
};
template <class T>
struct BoolRule {
  bool T::*member;
};
template <class T>
struct StringRule {
  std::string T::*member;
  bool allow_empty;
};
template <class T>
struct EnumRule {
  std::span<const std::string_view> names;
  void (*set)(T&, std::size_t);
};
template <class T>
struct OptBoolRule {
  std::optional<bool> T::*member;
};
template <class T>
struct OptStringRule {
  std::optional<std::string> T::*member;
};
template <class T>
struct OptIntRule {
  std::optional<std::int64_t> T::*member;
  std::int64_t min;
  std::int64_t max;
};
template <class T>
struct StringListRule {
  std::vector<std::string> T::*member;
};
// A key with its own parser (the listener array, a nested object).
template <class T>
struct CustomRule {
  std::string_view type;
  Errors (*apply)(const Json& value, T& target, const std::string& path);
};

template <class T>
using Rule = std::variant<IntRule<T>, BoolRule<T>, StringRule<T>, EnumRule<T>, OptBoolRule<T>, OptStringRule<T>,
                          OptIntRule<T>, StringListRule<T>, CustomRule<T>>;

template <class T>
struct KeySpec {
  std::string_view name;
  std::string_view default_json;  // applied by the constructor; empty: set in code, see default_doc
  std::string_view default_doc;   // README text when it differs from default_json
  std::string_view description;
  Rule<T> rule;
};

std::string range_text(std::int64_t min, std::int64_t max);

std::string names_text(std::span<const std::string_view> names);

// A value read from JSON, or why it was refused ("must be ...").
Result<std::int64_t> read_int(const Json& v, std::int64_t min, std::int64_t max);

Result<std::size_t> read_enum(const Json& v, std::span<const std::string_view> names);

// Applying a value to `target` is what this engine does: apply_one,
// apply_rule and apply_object write into the struct they are given, and
// report what they refused.
template <class T>
Status apply_one(const Rule<T>& rule, const Json& v, T& target) {
  if (auto* r = std::get_if<IntRule<T>>(&rule)) {
    ACTORMQ_TRY(target.*(r->member), read_int(v, r->min, r->max));
    return mqtt::Ok{};
  }
  if (auto* r = std::get_if<BoolRule<T>>(&rule)) {
    if (!v.is_boolean()) {
      return Failure{"must be true or false"};
    }
    target.*(r->member) = v.get<bool>();
    return mqtt::Ok{};
  }
  if (auto* r = std::get_if<StringRule<T>>(&rule)) {
    if (!v.is_string() || (!r->allow_empty && v.get_ref<const std::string&>().empty())) {
      return Failure{r->allow_empty ? "must be a string" : "must be a non-empty string"};
    }
    target.*(r->member) = v.get<std::string>();
    return mqtt::Ok{};
  }
  if (auto* r = std::get_if<EnumRule<T>>(&rule)) {
    ACTORMQ_TRY(std::size_t index, read_enum(v, r->names));
    r->set(target, index);
    return mqtt::Ok{};
  }
  if (auto* r = std::get_if<OptBoolRule<T>>(&rule)) {
    if (!v.is_boolean()) {
      return Failure{"must be true or false"};
    }
    target.*(r->member) = v.get<bool>();
    return mqtt::Ok{};
  }
  if (auto* r = std::get_if<OptStringRule<T>>(&rule)) {
    if (!v.is_string()) {
      return Failure{"must be a string"};
    }
    target.*(r->member) = v.get<std::string>();
    return mqtt::Ok{};
  }
  if (auto* r = std::get_if<OptIntRule<T>>(&rule)) {
    ACTORMQ_TRY(target.*(r->member), read_int(v, r->min, r->max));
    return mqtt::Ok{};
  }
  if (auto* r = std::get_if<StringListRule<T>>(&rule)) {
    if (!v.is_array() || !std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_string(); })) {
      return Failure{"must be an array of strings"};
    }
    target.*(r->member) = v.get<std::vector<std::string>>();
    return mqtt::Ok{};
  }
  return mqtt::Ok{};  // CustomRule is handled by apply_rule
}

template <class T>
Errors apply_rule(const Rule<T>& rule, const Json& v, T& target, const std::string& path) {
  if (auto* r = std::get_if<CustomRule<T>>(&rule)) {
    return r->apply(v, target, path);
  }
  if (auto applied = apply_one(rule, v, target); !applied) {
    return std::move(applied).error().prefixed(path + ": ").messages();
  }
  return {};
}

void append(Errors& to, Errors from);

template <class T>
Errors apply_object(const Json& object, T& target, std::span<const KeySpec<T>> table, const std::string& prefix) {
  Errors errors;
  for (const auto& [key, value] : object.items()) {
    const std::string path = prefix + key;
    const KeySpec<T>* spec = nullptr;
    for (const auto& row : table) {
      if (row.name == key) {
        spec = &row;
      }
    }
    if (!spec) {
      errors.push_back(path + ": unknown key");
      continue;
    }
    append(errors, apply_rule(spec->rule, value, target, path));
  }
  return errors;
}

// The CustomRule of a key whose value is an object with a key table of its
// own, held in an optional member: an object sets the member (the inner
// struct's constructor gives the defaults, then the object's keys apply),
// null resets it. Paths of inner keys are "outer.inner".
template <class Outer, class Inner, std::optional<Inner> Outer::*member, std::span<const KeySpec<Inner>> (*table)()>
Errors apply_optional_object(const Json& value, Outer& target, const std::string& path) {
  if (value.is_null()) {
    (target.*member).reset();
    return {};
  }
  if (!value.is_object()) {
    return {path + ": must be an object or null"};
  }
  Inner inner;
  Errors errors = apply_object(value, inner, table(), path + ".");
  target.*member = std::move(inner);
  return errors;
}

template <class T>
void apply_defaults(T& target, std::span<const KeySpec<T>> table) {
  for (const auto& row : table) {
    if (row.default_json.empty()) {
      continue;
    }
    Errors errors = apply_rule(row.rule, Json::parse(row.default_json), target, std::string(row.name));
    if (!errors.empty()) {
      // The table contradicts itself: a programming error, not a user one.
      throw std::logic_error("config default: " + errors.front());
    }
  }
}

template <class T>
Errors check_ranges(const T& target, std::span<const KeySpec<T>> table, const std::string& prefix) {
  Errors errors;
  for (const auto& row : table) {
    if (auto* r = std::get_if<IntRule<T>>(&row.rule)) {
      const std::int64_t v = target.*(r->member);
      if (v < r->min || v > r->max) {
        errors.push_back(prefix + std::string(row.name) + ": must be " + range_text(r->min, r->max));
      }
    } else if (auto* o = std::get_if<OptIntRule<T>>(&row.rule)) {
      const std::optional<std::int64_t>& v = target.*(o->member);
      if (v && (*v < o->min || *v > o->max)) {
        errors.push_back(prefix + std::string(row.name) + ": must be " + range_text(o->min, o->max));
      }
    } else if (auto* s = std::get_if<StringRule<T>>(&row.rule)) {
      if (!s->allow_empty && (target.*(s->member)).empty()) {
        errors.push_back(prefix + std::string(row.name) + ": must be a non-empty string");
      }
    }
  }
  return errors;
}

template <class T>
std::string describe_type(const Rule<T>& rule) {
  if (auto* r = std::get_if<IntRule<T>>(&rule)) {
    return "integer " + range_text(r->min, r->max);
  }
  if (auto* r = std::get_if<OptIntRule<T>>(&rule)) {
    return "integer " + range_text(r->min, r->max);
  }
  if (std::holds_alternative<BoolRule<T>>(rule) || std::holds_alternative<OptBoolRule<T>>(rule)) {
    return "boolean";
  }
  if (auto* r = std::get_if<StringRule<T>>(&rule)) {
    return r->allow_empty ? "string" : "non-empty string";
  }
  if (auto* r = std::get_if<EnumRule<T>>(&rule)) {
    return "one of " + names_text(r->names);
  }
  if (std::holds_alternative<StringListRule<T>>(rule)) {
    return "array of strings";
  }
  if (auto* r = std::get_if<CustomRule<T>>(&rule)) {
    return std::string(r->type);
  }
  return "string";
}

template <class T>
std::vector<ConfigKeyDoc> docs_of(std::span<const KeySpec<T>> table) {
  std::vector<ConfigKeyDoc> out;
  for (const auto& row : table) {
    out.push_back({row.name, describe_type(row.rule), row.default_doc.empty() ? row.default_json : row.default_doc,
                   row.description});
  }
  return out;
}

template <class T>
Rule<T> integer(std::int64_t T::*member, std::int64_t min, std::int64_t max) {
  return IntRule<T>{member, min, max};
}
template <class T>
Rule<T> boolean(bool T::*member) {
  return BoolRule<T>{member};
}
template <class T>
Rule<T> string(std::string T::*member, bool allow_empty = true) {
  return StringRule<T>{member, allow_empty};
}

}  // namespace actormq::core::config_rules
