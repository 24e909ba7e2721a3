#pragma once
// Process identifiers: {16-bit node, 48-bit serial}, like an Erlang pid.

#include <cstdint>
#include <functional>
#include <string>

namespace actormq::sched {

/// A process identifier. The serial's low 28 bits index the local process
/// table; the high 20 bits are a generation, so a pid of a dead process does
/// not reach the next process that reuses its slot.
class Pid {
 public:
  static constexpr int serial_bits = 48;
  static constexpr int index_bits = 28;
  static constexpr std::uint64_t serial_mask = (std::uint64_t{1} << serial_bits) - 1;
  static constexpr std::uint32_t index_mask = (std::uint32_t{1} << index_bits) - 1;

  constexpr Pid() = default;
  constexpr Pid(std::uint16_t node, std::uint64_t serial)
      : bits_((std::uint64_t{node} << serial_bits) | (serial & serial_mask)) {}

  static constexpr Pid from_bits(std::uint64_t bits) {
    Pid p;
    p.bits_ = bits;
    return p;
  }

  constexpr std::uint16_t node() const { return static_cast<std::uint16_t>(bits_ >> serial_bits); }
  constexpr std::uint64_t serial() const { return bits_ & serial_mask; }
  constexpr std::uint32_t index() const { return static_cast<std::uint32_t>(bits_) & index_mask; }
  constexpr std::uint32_t generation() const {
    return static_cast<std::uint32_t>(serial() >> index_bits);
  }
  constexpr std::uint64_t bits() const { return bits_; }
  /// The null pid (no process); serial 0 is never assigned.
  constexpr bool valid() const { return serial() != 0; }
  constexpr explicit operator bool() const { return valid(); }

  friend constexpr bool operator==(Pid a, Pid b) = default;
  friend constexpr auto operator<=>(Pid a, Pid b) = default;

  /// "<node.serial>", as Erlang prints pids.
  std::string to_string() const {
    // Appended, not `"<" + ...`: GCC 12 at -O3 warns (-Wrestrict) about that
    // form wherever it is inlined.
    std::string s = "<";
    s += std::to_string(node());
    s += '.';
    s += std::to_string(serial());
    s += '>';
    return s;
  }

 private:
  std::uint64_t bits_ = 0;
};

}  // namespace actormq::sched

template <>
struct std::hash<actormq::sched::Pid> {
  std::size_t operator()(actormq::sched::Pid p) const noexcept {
    // Serials are dense; mix so that hash tables with power-of-two sizes spread them.
    std::uint64_t x = p.bits() * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(x ^ (x >> 32));
  }
};
