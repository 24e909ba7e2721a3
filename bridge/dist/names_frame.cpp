#include "bridge/dist/names_frame.hpp"

#include <algorithm>

#include "bridge/dist/codec.hpp"
#include "bridge/dist/wire.hpp"

namespace actormq::dist {

std::string encode_names(const NamesFrame& frame) {
  BodyTable none;
  Encoder out(none);
  out.u8(static_cast<std::uint8_t>(FrameKind::names));
  out.u8(static_cast<std::uint8_t>(frame.op));
  out.u64(frame.version);
  std::size_t n = std::min<std::size_t>(frame.entries.size(), max_global_names);
  out.u32(static_cast<std::uint32_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const NameEntry& e = frame.entries[i];
    out.str(e.name, max_global_name);
    out.pid(e.pid);
    out.u64(e.at_ms);
  }
  return out.take();
}

Result<NamesFrame> decode_names(std::string_view body) {
  Decoder in(body);
  if (in.u8() != static_cast<std::uint8_t>(FrameKind::names)) {
    return in.ok() ? WireError::unknown_frame_kind : WireError::truncated;
  }
  NamesFrame f;
  std::uint8_t op = in.u8();
  if (in.ok() && op > static_cast<std::uint8_t>(NamesOp::release)) {
    in.fail(WireError::bad_value);
  }
  f.op = static_cast<NamesOp>(op);
  f.version = in.u64();
  std::uint32_t n = in.u32();
  // An entry takes at least 4 + 1 + 8 + 8 bytes.
  if (n > max_global_names) {
    in.fail(WireError::bad_value);
  } else if (in.fits(n, 21)) {
    f.entries.reserve(n);
  }
  bool release = f.op == NamesOp::release;
  for (std::uint32_t i = 0; i < n && in.ok(); ++i) {
    NameEntry e;
    e.name = std::string(in.str(max_global_name));
    e.pid = in.pid();
    e.at_ms = in.u64();
    // A claim names its holder; a release names only the name.
    if (in.ok() && (e.name.empty() || e.pid.valid() == release || (release && e.at_ms != 0))) {
      in.fail(WireError::bad_value);
    }
    f.entries.push_back(std::move(e));
  }
  if (!in.ok()) {
    return *in.error();
  }
  if (!in.at_end()) {
    return WireError::trailing_bytes;
  }
  return f;
}

}  // namespace actormq::dist
