#pragma once
// Forward declarations of the mqtt/ types, for headers that only pass them by
// reference.

#include <cstdint>

namespace actormq::mqtt {

enum class ProtocolVersion : std::uint8_t;
enum class PacketType : std::uint8_t;
enum class QoS : std::uint8_t;
enum class ReasonCode : std::uint8_t;
enum class PropertyId : std::uint8_t;
enum class ErrorCode : std::uint8_t;

class SharedBytes;
class Parser;
struct Error;
struct Properties;
struct UserProperty;
struct Will;
struct Connect;
struct Connack;
struct Publish;
struct PublishAck;
struct Puback;
struct Pubrec;
struct Pubrel;
struct Pubcomp;
struct Subscribe;
struct Subscription;
struct SubscriptionOptions;
struct Suback;
struct Unsubscribe;
struct Unsuback;
struct Pingreq;
struct Pingresp;
struct Disconnect;
struct Auth;
struct PublishHeader;
struct PublishLayout;
struct Parsed;

}  // namespace actormq::mqtt
