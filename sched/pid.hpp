#pragma once
// Process identifiers: {16-bit node, 48-bit serial}, like an Erlang pid.

#include <cstdint>
#include <functional>
#include <string>

namespace actormq::sched {

/// A process identifier. The serial's low 24 bits index the local process
/// table (16.7 M live processes per node); the next 16 are a generation, so a
/// pid of a dead process does not reach the next process that reuses its
/// slot; the top 8 are the node's creation (Erlang's), which differs from one
/// run of a node to the next, so a pid from an earlier run of a node does not
/// reach a process of this run that has the same slot and generation.
class Pid {
 public:
  static constexpr int serial_bits = 48;
  static constexpr int index_bits = 24;
  static constexpr int generation_bits = 16;
  static constexpr int creation_shift = index_bits + generation_bits;
  static constexpr std::uint64_t serial_mask = (std::uint64_t{1} << serial_bits) - 1;
  static constexpr std::uint32_t index_mask = (std::uint32_t{1} << index_bits) - 1;
  static constexpr std::uint32_t generation_mask = (std::uint32_t{1} << generation_bits) - 1;

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
    return static_cast<std::uint32_t>(serial() >> index_bits) & generation_mask;
  }
  constexpr std::uint8_t creation() const { return static_cast<std::uint8_t>(serial() >> creation_shift); }
  /// The serial of slot `index`, generation `generation`, creation `creation`.
  static constexpr std::uint64_t make_serial(std::uint8_t creation, std::uint32_t generation,
                                             std::uint32_t index) {
    return (std::uint64_t{creation} << creation_shift) |
           (std::uint64_t{generation & generation_mask} << index_bits) | (index & index_mask);
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
