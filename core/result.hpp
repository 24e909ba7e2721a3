#pragma once
// How core reports an error on an expected path (a file that does not parse,
// a port in use, a store it cannot read): Result<T> holds a T or a Failure,
// Status a success without a value. The same class as the codec's
// mqtt::Result, with the operator's sentences instead of a reason code.
//
//     Result<Acl> acl = Acl::load(path);
//     if (!acl) { log(acl.error().text()); }
//
// ACTORMQ_TRY / ACTORMQ_CHECK pass a failure up unchanged, as MQTT_TRY and
// MQTT_CHECK do in mqtt/; where a caller adds context (the file kind, the
// service's name) it writes the check out and returns error().prefixed(...).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mqtt/result.hpp"

namespace actormq::core {

/// Why something failed, in the operator's words: each message is one
/// sentence naming what to fix (the file and line, the config key, the
/// address), e.g. "acl:3: unknown keyword \"topc\"". Usually one; a check
/// that finds several errors at once (the config, the services' reloads)
/// reports them all, one message each. The texts are read by operators and
/// tests: a caller may put context in front, never reword them.
class Failure {
 public:
  explicit Failure(std::string message) { messages_.push_back(std::move(message)); }
  /// `messages` is not empty.
  explicit Failure(std::vector<std::string> messages) : messages_(std::move(messages)) {}

  [[nodiscard]] const std::vector<std::string>& messages() const noexcept { return messages_; }

  /// The messages one per line, without a final newline: what is printed or logged.
  [[nodiscard]] std::string text() const {
    std::string out;
    for (std::size_t i = 0; i < messages_.size(); ++i) {
      out += (i ? "\n" : "") + messages_[i];
    }
    return out;
  }

  /// The same failure with `context` in front of every message, e.g.
  /// "password_file " or "service b: ".
  [[nodiscard]] Failure prefixed(std::string_view context) && {
    for (std::string& m : messages_) {
      m.insert(0, context);
    }
    return std::move(*this);
  }

  friend bool operator==(const Failure& a, const Failure& b) = default;

 private:
  std::vector<std::string> messages_;
};

/// A Failure of one message, for `return fail("...");`.
inline Failure fail(std::string message) { return Failure{std::move(message)}; }

template <class T>
using Result = mqtt::Result<T, Failure>;
/// Success without a value: `return mqtt::Ok{};`.
using Status = Result<mqtt::Ok>;

}  // namespace actormq::core

// On a failure, returns it from the enclosing function; otherwise moves the
// value into `lhs` (see MQTT_TRY).
#define ACTORMQ_TRY(lhs, ...) MQTT_TRY(lhs, __VA_ARGS__)
// On a failure, returns it from the enclosing function (see MQTT_CHECK).
#define ACTORMQ_CHECK(...) MQTT_CHECK(__VA_ARGS__)
