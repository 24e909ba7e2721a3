#pragma once
// Helpers shared by the libFuzzer targets of this folder.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

namespace actormq::fuzz {

/// A broken invariant is a finding: say which and abort, so libFuzzer keeps
/// the input (a plain assert would vanish from a release build).
#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (false)

/// The input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

/// Cuts a byte stream into chunks the way reads from a socket would. The
/// input starts with a header byte whose low 4 bits say how many chunk-length
/// bytes follow; chunk i is (length byte i mod n) + 1 bytes long, cycling. With
/// no length bytes the rest is one chunk. The fuzzer mutates the split points
/// directly, as they are plain bytes of the input.
class Chunks {
 public:
  Chunks(const std::uint8_t* data, std::size_t size) noexcept {
    if (size == 0) {
      return;
    }
    header_ = data[0];
    std::size_t n = std::min<std::size_t>(header_ & 0x0F, size - 1);
    lengths_ = {data + 1, n};
    rest_ = {data + 1 + n, size - 1 - n};
  }

  /// The header byte's high 4 bits, for the target's own options.
  [[nodiscard]] std::uint8_t flags() const noexcept { return header_ >> 4; }
  /// The whole stream after the header.
  [[nodiscard]] std::span<const std::uint8_t> stream() const noexcept { return rest_; }

  /// The next chunk; empty at the end.
  [[nodiscard]] std::span<const std::uint8_t> next() noexcept {
    std::size_t want = rest_.size() - at_;
    if (!lengths_.empty()) {
      want = std::min<std::size_t>(want, std::size_t{lengths_[turn_++ % lengths_.size()]} + 1);
    }
    auto chunk = rest_.subspan(at_, want);
    at_ += want;
    return chunk;
  }

 private:
  std::uint8_t header_ = 0;
  std::span<const std::uint8_t> lengths_;
  std::span<const std::uint8_t> rest_;
  std::size_t at_ = 0;
  std::size_t turn_ = 0;
};

}  // namespace actormq::fuzz
