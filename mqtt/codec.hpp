#pragma once
// Everything a connection needs to speak MQTT: packets, the resumable parser,
// the encoder, topic rules and the reason-code mapping of errors.
//
// Reading (per connection):
//     Parser parser({max_packet_size, ProtocolVersion::v3_1_1});
//     Parsed r = parser.parse(bytes);   // packet / need_more / error
//     // on error: to_reason_code(r.error.code), r.error.reason, r.version
// Writing:
//     encode_append(packet, version, out);
//     // PUBLISH fan-out: publish_layout() to check the client's Maximum Packet
//     // Size, encode_publish_header(), then writev(header, payload.span()).

#include "mqtt/bytes.hpp"       // IWYU pragma: export
#include "mqtt/constants.hpp"   // IWYU pragma: export
#include "mqtt/encode.hpp"      // IWYU pragma: export
#include "mqtt/error.hpp"       // IWYU pragma: export
#include "mqtt/packets.hpp"     // IWYU pragma: export
#include "mqtt/parser.hpp"      // IWYU pragma: export
#include "mqtt/properties.hpp"  // IWYU pragma: export
#include "mqtt/topic.hpp"       // IWYU pragma: export
