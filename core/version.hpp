#pragma once
// The broker's version, as --version, $SYS/broker/version and the HTTP API report it.

#include <string_view>

namespace actormq::core {

inline constexpr std::string_view broker_version = "0.1.0";

}  // namespace actormq::core
