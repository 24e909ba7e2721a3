#include "core/upgrade/handover.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

namespace actormq::core::upgrade {

namespace {

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
// Spelled out for compilers without aggregate deduction (clang 14, the fuzz build).
template <class... F>
Overload(F...) -> Overload<F...>;

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= line.size()) {
    std::size_t end = line.find(' ', start);
    if (end == std::string_view::npos) {
      end = line.size();
    }
    out.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// A decimal number in [min, max], digits only (no sign, no spaces).
std::optional<std::int64_t> number(std::string_view s, std::int64_t min, std::int64_t max) {
  std::int64_t n = 0;
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::from_chars(s.data(), s.data() + s.size(), n);
  if (n < min || n > max) {
    return std::nullopt;
  }
  return n;
}

Failure malformed(std::string_view line, std::string_view why) {
  std::string shown(line.substr(0, 80));
  return Failure{"hand-over message \"" + shown + "\": " + std::string(why)};
}

}  // namespace

std::string format_handover(const HandoverMessage& message) {
  return std::visit(
      Overload{
          [](const Hello& m) { return "hello " + std::to_string(m.version) + " " + std::to_string(m.pid); },
          [](const SocketOffer& m) {
            return "socket " + std::string(listener_type_names[static_cast<std::size_t>(m.type)]) + " " + m.bind +
                   " " + std::to_string(m.port);
          },
          [](const SocketsEnd& m) { return "sockets-end " + std::to_string(m.count); },
          [](const Ready&) { return std::string("ready"); },
          [](const Released&) { return std::string("released"); },
          [](const Serving& m) { return "serving " + std::to_string(m.pid); },
          [](const HandoverError& m) {
            std::string text = m.text;
            std::replace(text.begin(), text.end(), '\n', ' ');  // one line
            return "error " + text.substr(0, max_handover_message - 6);
          },
      },
      message);
}

Result<HandoverMessage> parse_handover(std::string_view line) {
  if (line.size() > max_handover_message) {
    return malformed(line, "longer than " + std::to_string(max_handover_message) + " bytes");
  }
  if (line.find_first_of(std::string_view("\0\n\r", 3)) != std::string_view::npos) {
    return malformed(line, "not one line of text");
  }
  if (line.starts_with("error ")) {
    return HandoverMessage{HandoverError{std::string(line.substr(6))}};
  }
  std::vector<std::string_view> w = words(line);
  const std::string_view verb = w[0];
  auto arity = [&](std::size_t n) { return w.size() == n + 1; };
  if (verb == "hello" && arity(2)) {
    // The version first: a later version may change what follows it.
    auto version = number(w[1], 1, 0xFFFFFFFF);
    auto pid = number(w[2], 1, 0x7FFFFFFF);
    if (!version || !pid) {
      return malformed(line, "expected hello <version> <pid>");
    }
    return HandoverMessage{Hello{static_cast<std::uint32_t>(*version), *pid}};
  }
  if (verb == "socket" && arity(3)) {
    std::optional<ListenerType> type;
    for (std::size_t i = 0; i < listener_type_names.size(); ++i) {
      if (listener_type_names[i] == w[1]) {
        type = static_cast<ListenerType>(i);
      }
    }
    auto port = number(w[3], 0, 65535);
    if (!type || w[2].empty() || !port) {
      return malformed(line, "expected socket <tcp|tls|ws|wss|http|https> <bind> <port>");
    }
    return HandoverMessage{SocketOffer{*type, std::string(w[2]), static_cast<std::uint16_t>(*port)}};
  }
  if (verb == "sockets-end" && arity(1)) {
    auto count = number(w[1], 0, 1000000);
    if (!count) {
      return malformed(line, "expected sockets-end <count>");
    }
    return HandoverMessage{SocketsEnd{static_cast<std::uint32_t>(*count)}};
  }
  if (verb == "serving" && arity(1)) {
    auto pid = number(w[1], 1, 0x7FFFFFFF);
    if (!pid) {
      return malformed(line, "expected serving <pid>");
    }
    return HandoverMessage{Serving{*pid}};
  }
  if (line == "ready") {
    return HandoverMessage{Ready{}};
  }
  if (line == "released") {
    return HandoverMessage{Released{}};
  }
  return malformed(line, "unknown message or wrong number of fields");
}

}  // namespace actormq::core::upgrade
