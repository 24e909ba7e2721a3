#pragma once
// A string hash for unordered maps keyed by std::string: transparent (a
// lookup by string_view builds no string) and noexcept, so that libstdc++
// caches no hash in each node (8 bytes a node; it rehashes by recomputing).

#include <cstddef>
#include <functional>
#include <string_view>

namespace actormq::core {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace actormq::core
