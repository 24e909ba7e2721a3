#include "core/config/rules.hpp"

namespace actormq::core::config_rules {

std::string range_text(std::int64_t min, std::int64_t max) {
  return std::to_string(min) + ".." + std::to_string(max);
}

std::string names_text(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i ? ", " : "");
    out += names[i];
  }
  return out;
}

Result<std::int64_t> read_int(const Json& v, std::int64_t min, std::int64_t max) {
  const std::string range = range_text(min, max);
  if (!v.is_number_integer()) {
    return Failure{"must be an integer, " + range};
  }
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    return Failure{"must be " + range};
  }
  const auto value = v.get<std::int64_t>();
  if (value < min || value > max) {
    return Failure{"must be " + range};
  }
  return value;
}

Result<std::size_t> read_enum(const Json& v, std::span<const std::string_view> names) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == s) {
        return i;
      }
    }
  }
  return Failure{"must be one of " + names_text(names)};
}

void append(Errors& to, Errors from) {
  for (auto& e : from) {
    to.push_back(std::move(e));
  }
}

}  // namespace actormq::core::config_rules
