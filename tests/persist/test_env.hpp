#pragma once
// Opening a store for a test, and reading a database back whole.

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "persist/env.hpp"

namespace actormq::persist::test {

inline std::unique_ptr<Env> open_env(EnvOptions options) {
  auto r = Env::open(options);
  REQUIRE(std::holds_alternative<std::unique_ptr<Env>>(r));
  return std::move(std::get<std::unique_ptr<Env>>(r));
}

/// Every key and value of `db`, in key order.
inline std::map<std::string, std::string> contents(const Env& env, Db db) {
  std::map<std::string, std::string> all;
  CHECK_FALSE(env.for_each(db, [&](std::string_view k, std::string_view v) {
    all.emplace(k, v);
    return true;
  }));
  return all;
}

}  // namespace actormq::persist::test
