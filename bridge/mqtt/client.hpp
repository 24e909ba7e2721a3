#pragma once
// The client side of MQTT 3.1.1 and 5.0, as a bridge speaks it to its
// remote broker, with no socket in it (the channel style of core/session):
// each step takes what arrived and returns what to do — bytes to write,
// messages to route locally, a reason to close — and the bridge's process
// (bridge_link.*) carries that out, in that order: a message is routed
// before the PUBACK or PUBREC that answers it is written.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bridge/mqtt/outbox.hpp"
#include "bridge/mqtt/topic_map.hpp"
#include "mqtt/packets.hpp"
#include "mqtt/parser.hpp"

namespace actormq::bridge {

struct ClientOptions {
  mqtt::ProtocolVersion version = mqtt::ProtocolVersion::v3_1_1;
  std::string client_id;
  std::string username;  ///< empty: none
  std::string password;  ///< empty: none
  bool clean_start = false;
  std::uint16_t keepalive_s = 60;  ///< 0: none
  bool try_private = true;
  std::optional<mqtt::Will> will;          ///< the "0" notification, if notifications are on
  std::optional<OutMessage> on_connect;    ///< published first on each connection (the "1")
  std::vector<FilterQos> subscriptions;    ///< remote filters of the in and both topics
  std::size_t max_inflight = 20;
  std::size_t max_buffered_bytes = 1 << 30;
  /// Wall-clock milliseconds, against OutMessage::received_ms: a message's
  /// expiry keeps counting while it waits here, across restarts too.
  std::function<std::uint64_t()> wall_clock;
  /// Durability sync: the PUBACK or PUBREC of a remote QoS 1/2 message is
  /// not written but handed over (Actions::held), for the process to write
  /// (acknowledge) once what the message caused is stored.
  bool hold_acks = false;
};

/// hold_acks: the acknowledgement owed for a remote QoS 1/2 message.
struct HeldAck {
  mqtt::Packet packet;  ///< PUBACK or PUBREC
  /// Index in Actions::route of the message it answers; none: a resent
  /// QoS 2 message, routed when it first came.
  std::optional<std::size_t> route;
};

/// What a step asks of the process.
struct Actions {
  std::vector<std::uint8_t> write;      ///< bytes for the remote
  std::vector<mqtt::Publish> route;     ///< remote messages to route locally, before `write`
  std::vector<std::string> warnings;    ///< for the log
  std::optional<std::string> close;     ///< end the connection, why (after `write`)
  bool connected = false;               ///< CONNACK accepted in this step
  std::size_t dropped = 0;              ///< messages dropped: the bound, a refusal, too large for the remote
  std::size_t sent = 0;                 ///< messages the remote took (QoS 0 written, QoS 1/2 acknowledged)
  std::vector<std::uint64_t> forget;    ///< seqs of stored messages that left the outbox: erase their records
  std::vector<OutMessage> released;     ///< stored QoS 2 messages the remote has (PUBREC): mark their records
  std::vector<HeldAck> held;            ///< hold_acks: owed acknowledgements, in the order their messages came
};

class Client {
 public:
  explicit Client(ClientOptions options);

  /// Messages owed from an earlier run (out_store.hpp), oldest first,
  /// ahead of any new one.
  [[nodiscard]] Actions restore(std::vector<OutMessage> msgs);
  /// A new connection is open (TCP, and TLS if any, under way): the CONNECT.
  [[nodiscard]] Actions start(std::uint64_t now_ms);
  /// Bytes from the remote.
  [[nodiscard]] Actions on_bytes(std::span<const std::uint8_t> bytes, std::uint64_t now_ms);
  /// A local message for the remote. QoS 0 goes only while connected; QoS
  /// 1/2 is held until the remote acknowledges it.
  [[nodiscard]] Actions send(OutMessage msg, std::uint64_t now_ms);
  /// The keep alive: a PINGREQ when nothing was written for keepalive
  /// seconds; close when nothing was read for 1.5 times it (MQTT 3.1.2.10).
  [[nodiscard]] Actions tick(std::uint64_t now_ms);
  /// Closing on purpose: the last words (v5: DISCONNECT 0x04 so the remote
  /// publishes the will; 3.1.1: the will's message, then DISCONNECT).
  [[nodiscard]] std::vector<std::uint8_t> goodbye();
  /// The connection is gone: in-flight messages wait for the next one.
  void lost() noexcept;
  /// Every message owed to the remote, taken out (Outbox::take_all).
  [[nodiscard]] std::vector<OutMessage> take_owed() { return outbox_.take_all(); }
  /// hold_acks: writes a held acknowledgement (nothing once the connection
  /// it belongs to is gone: the remote sends the message again).
  [[nodiscard]] Actions acknowledge(const mqtt::Packet& ack);
  /// hold_acks: the remote QoS 2 message `packet_id` was not stored after
  /// all; when the remote sends it again it is routed again.
  void unroute(std::uint16_t packet_id);

  [[nodiscard]] bool connected() const noexcept { return state_ == State::connected; }
  [[nodiscard]] const Outbox& outbox() const noexcept { return outbox_; }
  [[nodiscard]] mqtt::ProtocolVersion version() const noexcept { return options_.version; }

 private:
  enum class State { idle, connecting, connected };

  void handle(mqtt::Packet& packet, Actions& a);
  void on_connack(const mqtt::Connack& c, Actions& a);
  void on_publish(mqtt::Publish& p, Actions& a);
  void on_pubrel(std::uint16_t packet_id, Actions& a);
  void on_suback(const mqtt::Suback& s, Actions& a);
  void on_ack(std::uint16_t packet_id, mqtt::ReasonCode code, mqtt::PacketType type, Actions& a);
  void pump(Actions& a);
  enum class Published : std::uint8_t { written, too_large, expired };
  /// Writes the PUBLISH of `f`, unless it exceeds the remote's Maximum
  /// Packet Size or, not yet begun on its way, its expiry has passed.
  Published publish(const InFlight& f, bool dup, Actions& a);
  void send_in_flight(const InFlight& f, bool dup, Actions& a);
  void dropped(std::vector<OutMessage> msgs, Actions& a);
  void emit(const mqtt::Packet& packet, Actions& a);
  [[nodiscard]] mqtt::Connect make_connect() const;

  ClientOptions options_;
  mqtt::Parser parser_;
  Outbox outbox_;
  State state_ = State::idle;
  bool private_refused_ = false;  ///< the remote refused the bridge flag: connect without it
  bool private_sent_ = false;     ///< this connection's CONNECT carried it
  std::vector<std::uint16_t> awaiting_rel_;  ///< incoming QoS 2 routed, PUBREL not yet come
  std::uint32_t max_packet_size_ = 0;        ///< the remote's (v5 CONNACK); 0: no limit
  std::uint64_t last_read_ms_ = 0;
  std::uint64_t last_write_ms_ = 0;
};

}  // namespace actormq::bridge
