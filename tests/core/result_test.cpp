// core/result.hpp: the one error shape of core, on mqtt::Result.
#include "core/result.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace actormq::core {
namespace {

// The codec's ErrorCode shortcut exists only for the codec's Error.
static_assert(std::is_constructible_v<mqtt::Result<int>, mqtt::ErrorCode>);
static_assert(!std::is_constructible_v<Result<int>, mqtt::ErrorCode>);
// A string is never taken for a Failure by accident (Result<std::string>).
static_assert(!std::is_convertible_v<std::string, Failure>);

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') {
    return Failure{std::string("not a digit: ") + c};
  }
  return c - '0';
}

Result<int> sum_of_two(const char* s) {
  ACTORMQ_TRY(int a, parse_digit(s[0]));
  ACTORMQ_TRY(int b, parse_digit(s[1]));
  return a + b;
}

Status both_digits(const char* s) {
  ACTORMQ_CHECK(parse_digit(s[0]));
  ACTORMQ_CHECK(parse_digit(s[1]));
  return mqtt::Ok{};
}

}  // namespace

TEST_CASE("Result: a value or a Failure") {
  Result<int> good = parse_digit('7');
  REQUIRE(good.ok());
  CHECK(*good == 7);
  Result<int> bad = parse_digit('x');
  REQUIRE_FALSE(bad);
  CHECK(bad.error().text() == "not a digit: x");
  CHECK(bad.error().messages() == std::vector<std::string>{"not a digit: x"});

  // A move-only value, and a Result<std::string> whose value is a string.
  Result<std::unique_ptr<int>> owned = std::make_unique<int>(3);
  std::unique_ptr<int> taken = std::move(owned).value();
  CHECK(*taken == 3);
  Result<std::string> text = std::string("a value");
  REQUIRE(text.ok());
  CHECK(*text == "a value");
}

TEST_CASE("Failure: several messages, one per line, context goes in front of each") {
  Failure one("listeners[0].port: must be 1..65535");
  CHECK(one.text() == "listeners[0].port: must be 1..65535");
  Failure two(std::vector<std::string>{"a: unknown key", "b: must be true or false"});
  CHECK(two.text() == "a: unknown key\nb: must be true or false");
  Failure placed = std::move(two).prefixed("/etc/actormq.json: ");
  CHECK(placed.messages() ==
        std::vector<std::string>{"/etc/actormq.json: a: unknown key", "/etc/actormq.json: b: must be true or false"});
  CHECK(Failure("x") == Failure("x"));
  CHECK_FALSE(Failure("x") == Failure("y"));
}

TEST_CASE("ACTORMQ_TRY and ACTORMQ_CHECK return the first failure unchanged") {
  Result<int> sum = sum_of_two("34");
  REQUIRE(sum.ok());
  CHECK(*sum == 7);
  Result<int> first = sum_of_two("a4");
  REQUIRE_FALSE(first.ok());
  CHECK(first.error().text() == "not a digit: a");
  Result<int> second = sum_of_two("3b");
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().text() == "not a digit: b");

  CHECK(both_digits("12").ok());
  Status status = both_digits("1z");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().text() == "not a digit: z");
}

}  // namespace actormq::core
