#pragma once
// Result<T, E>: a value or an error (std::expected is not in GCC 12). The
// codec's errors are mqtt::Error, the default; core/result.hpp uses the same
// class with the operator's sentences (core::Failure).

#include <type_traits>
#include <utility>
#include <variant>

#include "mqtt/error.hpp"

namespace actormq::mqtt {

/// Either a T or an E. Check with ok() / operator bool before value().
template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design
  Result(ErrorCode code)  // NOLINT: implicit by design
    requires std::is_same_v<E, Error>
      : v_(std::in_place_index<1>, make_error(code)) {}

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] T& value() & noexcept { return *std::get_if<0>(&v_); }
  [[nodiscard]] const T& value() const& noexcept { return *std::get_if<0>(&v_); }
  [[nodiscard]] T&& value() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  /// Only when !ok().
  [[nodiscard]] const E& error() const& noexcept { return *std::get_if<1>(&v_); }
  [[nodiscard]] E&& error() && noexcept { return std::move(*std::get_if<1>(&v_)); }

  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  T* operator->() noexcept { return &value(); }
  const T* operator->() const noexcept { return &value(); }

 private:
  std::variant<T, E> v_;
};

/// Success without a value.
struct Ok {};
using Status = Result<Ok>;

}  // namespace actormq::mqtt

// Evaluates `expr` (a Result); on error returns that error from the enclosing
// function, otherwise moves its value into `lhs`. Keeps decoders linear.
#define ACTORMQ_MQTT_CAT2(a, b) a##b
#define ACTORMQ_MQTT_CAT(a, b) ACTORMQ_MQTT_CAT2(a, b)
#define ACTORMQ_MQTT_TRY_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) {                            \
    return std::move(tmp).error();            \
  }                                           \
  lhs = std::move(tmp).value()
#define MQTT_TRY(lhs, ...) \
  ACTORMQ_MQTT_TRY_IMPL(ACTORMQ_MQTT_CAT(try_tmp_, __LINE__), lhs, (__VA_ARGS__))
// Evaluates `expr` (a Status-like Result) and returns its error if it failed.
#define MQTT_CHECK(...)                                   \
  do {                                                    \
    auto check_tmp_ = (__VA_ARGS__);                      \
    if (!check_tmp_.ok()) {                               \
      return std::move(check_tmp_).error();               \
    }                                                     \
  } while (false)
