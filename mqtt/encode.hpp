#pragma once
// Packet encoding for 3.1, 3.1.1 and 5.0. Sizes are computed before anything
// is written, so a caller can check a client's Maximum Packet Size first, and
// a PUBLISH header can be written apart from its shared payload for writev.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mqtt/packets.hpp"
#include "mqtt/result.hpp"

namespace actormq::mqtt {

/// Size of `packet` on the wire in `version`, fixed header included.
/// Fails if a string is over 65535 bytes, a field is out of range, or the
/// packet would exceed the protocol maximum.
[[nodiscard]] Result<std::size_t> encoded_size(const Packet& packet, ProtocolVersion version);

/// Appends the encoding of `packet` to `out`; returns the bytes appended.
/// Fields a version lacks are left out (properties before 5.0; 5.0 reason
/// codes become the nearest 3.1.1 code). On error `out` is unchanged.
[[nodiscard]] Result<std::size_t> encode_append(const Packet& packet, ProtocolVersion version,
                                                std::vector<std::uint8_t>& out);

/// Encodes `packet` into a new buffer.
[[nodiscard]] Result<std::vector<std::uint8_t>> encode(const Packet& packet,
                                                       ProtocolVersion version);

/// What a PUBLISH header needs, without owning anything: a session builds
/// one per subscriber (its own packet id, QoS, topic alias, subscription
/// identifiers) around one shared payload.
struct PublishHeader {
  std::string_view topic;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;            ///< required iff qos > 0
  const Properties* properties = nullptr;  ///< 5.0 only; nullptr for none
  std::size_t payload_size = 0;
};

/// The header fields of an existing PUBLISH (views into it).
[[nodiscard]] PublishHeader publish_header(const Publish& publish) noexcept;

/// Sizes of a PUBLISH computed without encoding it.
struct PublishLayout {
  std::size_t header_size;       ///< fixed header + variable header + properties
  std::size_t total_size;        ///< header_size + payload_size
  std::uint32_t remaining_length;
};

/// Computes the layout of a PUBLISH (for Maximum Packet Size checks and
/// buffer sizing). Fails like encoded_size().
[[nodiscard]] Result<PublishLayout> publish_layout(const PublishHeader& header,
                                                   ProtocolVersion version);

/// Writes the header described by `layout` (from publish_layout()) into
/// `out`, which must hold layout.header_size bytes. The payload follows it on
/// the wire, e.g. as the second buffer of a writev.
void write_publish_header(const PublishHeader& header, ProtocolVersion version,
                          const PublishLayout& layout, std::span<std::uint8_t> out) noexcept;

/// publish_layout() + write_publish_header() appending to `out`; returns the
/// layout. On error `out` is unchanged.
[[nodiscard]] Result<PublishLayout> encode_publish_header(const PublishHeader& header,
                                                          ProtocolVersion version,
                                                          std::vector<std::uint8_t>& out);

}  // namespace actormq::mqtt
