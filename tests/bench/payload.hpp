#pragma once
// The first 16 payload bytes of every benchmark message: send time (CLOCK_MONOTONIC
// ns), publisher id and per-publisher sequence number, little-endian. The rest is
// filler up to the requested payload size.

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace mqttbench {

struct Stamp {
    uint64_t sent_ns = 0;
    uint32_t publisher = 0;
    uint32_t seq = 0;
};

inline constexpr size_t stamp_size = 16;

/// Writes the stamp and filler into exactly payload_len bytes (payload_len >= stamp_size).
inline void write_payload(uint8_t* out, size_t payload_len, const Stamp& s) {
    std::memcpy(out, &s.sent_ns, 8);
    std::memcpy(out + 8, &s.publisher, 4);
    std::memcpy(out + 12, &s.seq, 4);
    if (payload_len > stamp_size) {
        std::memset(out + stamp_size, 'x', payload_len - stamp_size);
    }
}

[[nodiscard]] inline std::optional<Stamp> read_stamp(std::span<const uint8_t> payload) {
    if (payload.size() < stamp_size) {
        return std::nullopt;
    }
    Stamp s;
    std::memcpy(&s.sent_ns, payload.data(), 8);
    std::memcpy(&s.publisher, payload.data() + 8, 4);
    std::memcpy(&s.seq, payload.data() + 12, 4);
    return s;
}

}  // namespace mqttbench
