#pragma once
// Decoding of one complete packet body, after the fixed header is known.
// The incremental framing around it lives in parser.hpp.

#include <cstdint>
#include <optional>
#include <span>

#include "mqtt/packets.hpp"
#include "mqtt/result.hpp"

namespace actormq::mqtt {

/// The fixed header (§2.1): type, flags nibble and remaining length.
struct FixedHeader {
  PacketType type;
  std::uint8_t flags;             ///< low nibble of the first byte
  std::uint32_t remaining_length;  ///< body size in bytes
  std::uint8_t size;              ///< bytes of the fixed header itself (2..5)

  /// Size of the whole packet on the wire.
  [[nodiscard]] std::size_t total_size() const noexcept { return size + remaining_length; }
};

/// Decodes the body of a packet whose fixed header is `header`, in protocol
/// `version` (ignored for CONNECT, which carries its own). Checks the
/// fixed-header flags and every field; the whole body must be consumed.
[[nodiscard]] Result<Packet> decode_packet(const FixedHeader& header,
                                           std::span<const std::uint8_t> body,
                                           ProtocolVersion version);

/// The protocol version a CONNECT body asks for, if its protocol name and level
/// are readable and valid; lets a caller answer a CONNECT that failed to decode
/// in the client's own version (CONNACK 0x01 for 3.1.1, a reason code for 5.0).
[[nodiscard]] std::optional<ProtocolVersion> connect_protocol_version(
    std::span<const std::uint8_t> body) noexcept;

}  // namespace actormq::mqtt
