#pragma once
// Why bytes from a node link could not be decoded (or a message encoded), and
// the Result type of the wire code.

#include <cstdint>
#include <string_view>
#include <utility>
#include <variant>

namespace actormq::dist {

enum class WireError : std::uint8_t {
  truncated,           ///< a field runs past the end of its frame or entry
  trailing_bytes,      ///< bytes left after the last field
  frame_too_large,     ///< a frame (announced or built) over the link's maximum
  unknown_frame_kind,  ///< first byte of a frame names no frame kind
  unknown_type,        ///< an entry's type id is not registered on this node
  newer_version,       ///< an entry's type version is newer than this node reads
  older_version,       ///< an entry's type version is older than this node still reads
  field_too_long,      ///< a string or body longer than its field allows
  bad_value,           ///< a field out of its range (an exit reason kind, a flag)
  bad_body_ref,        ///< a body index past the frame's body table
  no_receivers,        ///< an entry addressed to no pid
  not_registered,      ///< encoder: the message's type crosses no node
};

[[nodiscard]] constexpr std::string_view to_string(WireError e) noexcept {
  constexpr std::string_view names[] = {
      "truncated",     "trailing bytes", "frame too large", "unknown frame kind",
      "unknown type",  "newer version",  "older version",   "field too long",
      "bad value",     "bad body reference", "no receivers", "type not registered",
  };
  return names[static_cast<int>(e)];
}

/// Either a T or a WireError. Check ok() before value().
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(WireError error) : v_(std::in_place_index<1>, error) {}     // NOLINT: implicit by design

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] T& value() & noexcept { return *std::get_if<0>(&v_); }
  [[nodiscard]] const T& value() const& noexcept { return *std::get_if<0>(&v_); }
  [[nodiscard]] T&& value() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  [[nodiscard]] WireError error() const noexcept { return *std::get_if<1>(&v_); }
  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  T* operator->() noexcept { return &value(); }
  const T* operator->() const noexcept { return &value(); }

 private:
  std::variant<T, WireError> v_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace actormq::dist
