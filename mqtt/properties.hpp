#pragma once
// MQTT 5.0 properties (§2.2.2): the typed property set, the table of which
// property may appear in which packet, and their wire encoding.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/constants.hpp"
#include "mqtt/reader.hpp"
#include "mqtt/result.hpp"
#include "mqtt/writer.hpp"

namespace actormq::mqtt {

/// Wire type of a property value (§2.2.2.2).
enum class PropertyType : std::uint8_t { byte, two_byte, four_byte, varint, utf8, binary, utf8_pair };

/// Where a property list sits: in a packet of `type`, or in CONNECT's will
/// properties when `will` is set.
struct PropertyContext {
  PacketType type;
  bool will = false;
};

/// One row of the §2.2.2.2 table.
struct PropertyInfo {
  PropertyId id;
  PropertyType type;
  /// Bit n set: allowed in packet type n; bit 0: allowed in will properties.
  std::uint16_t allowed;
  /// May appear more than once (User Property; Subscription Identifier in PUBLISH).
  bool repeatable;
};

/// Table row of a property identifier, or nullptr if `id` is not defined.
[[nodiscard]] const PropertyInfo* find_property(std::uint8_t id) noexcept;
/// True if property `id` may appear in `ctx`.
[[nodiscard]] bool property_allowed(PropertyId id, PropertyContext ctx) noexcept;

/// A User Property: a UTF-8 string pair. Order and duplicates are kept.
struct UserProperty {
  std::string key;
  std::string value;
  friend bool operator==(const UserProperty&, const UserProperty&) = default;
};

/// Every MQTT 5.0 property as a typed field. Absent properties are empty
/// optionals / empty vectors, so a packet without properties allocates nothing.
/// Binary Data values (Correlation Data, Authentication Data) are byte strings.
struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;      ///< 0x01: 0 bytes, 1 UTF-8
  std::optional<std::uint32_t> message_expiry_interval;      ///< 0x02: seconds
  std::optional<std::string> content_type;                   ///< 0x03
  std::optional<std::string> response_topic;                 ///< 0x08: topic name
  std::optional<std::string> correlation_data;               ///< 0x09: binary
  std::vector<std::uint32_t> subscription_identifiers;       ///< 0x0B: 1..268435455
  std::optional<std::uint32_t> session_expiry_interval;      ///< 0x11: seconds
  std::optional<std::string> assigned_client_identifier;     ///< 0x12
  std::optional<std::uint16_t> server_keep_alive;            ///< 0x13: seconds
  std::optional<std::string> authentication_method;          ///< 0x15
  std::optional<std::string> authentication_data;            ///< 0x16: binary
  std::optional<std::uint8_t> request_problem_information;   ///< 0x17: 0/1
  std::optional<std::uint32_t> will_delay_interval;          ///< 0x18: seconds
  std::optional<std::uint8_t> request_response_information;  ///< 0x19: 0/1
  std::optional<std::string> response_information;           ///< 0x1A
  std::optional<std::string> server_reference;               ///< 0x1C
  std::optional<std::string> reason_string;                  ///< 0x1F
  std::optional<std::uint16_t> receive_maximum;              ///< 0x21: non-zero
  std::optional<std::uint16_t> topic_alias_maximum;          ///< 0x22
  std::optional<std::uint16_t> topic_alias;                  ///< 0x23: non-zero
  std::optional<std::uint8_t> maximum_qos;                   ///< 0x24: 0/1
  std::optional<std::uint8_t> retain_available;              ///< 0x25: 0/1
  std::vector<UserProperty> user_properties;                 ///< 0x26: in wire order
  std::optional<std::uint32_t> maximum_packet_size;          ///< 0x27: bytes, non-zero
  std::optional<std::uint8_t> wildcard_subscription_available;    ///< 0x28: 0/1
  std::optional<std::uint8_t> subscription_identifier_available;  ///< 0x29: 0/1
  std::optional<std::uint8_t> shared_subscription_available;      ///< 0x2A: 0/1

  /// True if no property is set.
  [[nodiscard]] bool empty() const noexcept;
  friend bool operator==(const Properties&, const Properties&) = default;
};

/// Reads a property length and list from `in` (§2.2.2), checking that each
/// property is defined, allowed in `ctx`, not repeated unless repeatable, and
/// in range (0/1 flags, non-zero Receive Maximum, Topic Alias, ...).
[[nodiscard]] Result<Properties> decode_properties(Reader& in, PropertyContext ctx);

/// decode_properties() into an existing, empty `out`: the decoders use it to
/// avoid building and moving a Properties temporary for every packet (an empty
/// list, the common case on the publish path, costs one byte read).
[[nodiscard]] Status decode_properties_into(Reader& in, PropertyContext ctx, Properties& out);

/// Size of the encoded property list, without its length prefix. Fails with
/// string_too_long if a string exceeds 65535 bytes.
[[nodiscard]] Result<std::size_t> properties_body_size(const Properties& props) noexcept;

/// Size with its Variable Byte Integer length prefix, given the body size.
[[nodiscard]] constexpr std::size_t properties_wire_size(std::size_t body_size) noexcept {
  return varint_size(static_cast<std::uint32_t>(body_size)) + body_size;
}

/// Writes length prefix and properties in ascending identifier order; user
/// properties keep their order. `body_size` is properties_body_size(props).
void write_properties(Writer& out, const Properties& props, std::size_t body_size) noexcept;

/// A PUBLISH's properties in their wire form (length prefix first), as they
/// are kept and carried outside a packet (persist/, node links); a list too
/// long to encode is written empty.
[[nodiscard]] std::string publish_properties_bytes(const Properties& props);
/// publish_properties_bytes' output read back with every check a PUBLISH
/// gets, nothing left over; nothing if it does not hold.
[[nodiscard]] std::optional<Properties> publish_properties_from(std::string_view bytes);

}  // namespace actormq::mqtt
