#pragma once
// What a bridge owes its remote: QoS 1/2 messages waiting for the in-flight
// window, and the ones in it until the remote acknowledges them (MQTT 4.3:
// PUBACK for QoS 1; PUBREC, our PUBREL, PUBCOMP for QoS 2). Held in memory,
// bounded by bytes: past the bound the oldest waiting message is dropped.
// In-flight messages are sent again after a reconnect (4.4), in order.
//
// A message numbered by its bridge (seq != 0) always gets the packet id
// (seq - 1) % 65535 + 1, so that after a restart of the broker it goes
// again under the id the remote may hold for it (a QoS 2 message is then
// not delivered twice, 4.3.3); it waits while an older message in the
// window holds that id. The bridge keeps the store (out_store.hpp) in
// step with what complete(), release() and push() report.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mqtt/bytes.hpp"
#include "mqtt/constants.hpp"
#include "mqtt/properties.hpp"

namespace actormq::bridge {

/// A message for the remote, its topic already mapped.
struct OutMessage {
  std::string topic;
  mqtt::SharedBytes payload;
  mqtt::QoS qos = mqtt::QoS::at_most_once;
  bool retain = false;
  std::shared_ptr<const mqtt::Properties> properties;  ///< v5 links; 3.1.1 ones keep only the expiry; null: none
  std::uint64_t seq = 0;  ///< the bridge's number for it, in order of arrival; 0: none
  bool stored = false;    ///< it has a record in the store under `seq`
  bool released = false;  ///< QoS 2: PUBREC came (maybe before a restart), PUBREL owed
  bool from_store = false;  ///< read back at start: it may have gone to the remote before
  std::uint64_t received_ms = 0;  ///< wall-clock ms it arrived here, whence its expiry counts; 0: unknown

  /// Bytes it holds, as counted against the bound.
  [[nodiscard]] std::size_t size() const noexcept { return topic.size() + payload.size() + 64; }
};

/// One message in the window.
struct InFlight {
  std::uint16_t packet_id = 0;
  OutMessage msg;
};

class Outbox {
 public:
  explicit Outbox(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  /// Queues `msg` (at the back, or at the front to overtake the queue);
  /// returns the waiting messages dropped to stay within the bound, oldest first.
  std::vector<OutMessage> push(OutMessage msg, bool front = false);

  /// The window's size (the remote's Receive Maximum, capped by ours).
  void set_window(std::size_t window) noexcept { window_ = window == 0 ? 1 : window; }

  /// Moves waiting messages into the window while it has room; returns the
  /// ones moved, to be sent (each with its new packet id).
  [[nodiscard]] std::vector<const InFlight*> fill();

  /// Every message in the window, oldest first, to send again on a new connection.
  [[nodiscard]] const std::deque<InFlight>& in_flight() const noexcept { return window_msgs_; }

  /// PUBACK, PUBCOMP, or a refusal: the message leaves the window and is
  /// returned; nullopt if no message of that QoS has that packet id.
  std::optional<OutMessage> complete(std::uint16_t packet_id, mqtt::QoS qos);
  /// PUBREC: the QoS 2 message is released (PUBREL is owed) and returned;
  /// null if no such message.
  const OutMessage* release(std::uint16_t packet_id);

  /// Takes every message out, in flight first then waiting, each in order:
  /// what a process of the bridge that keeps no store hands its successor.
  /// Those in flight are marked from_store: they may have reached the remote.
  [[nodiscard]] std::vector<OutMessage> take_all();

  /// A packet id free for a new packet (PUBLISH or SUBSCRIBE), never 0.
  [[nodiscard]] std::uint16_t next_packet_id();

  [[nodiscard]] std::size_t waiting() const noexcept { return queue_.size(); }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  /// Waiting and in flight.
  [[nodiscard]] std::size_t size() const noexcept { return queue_.size() + window_msgs_.size(); }

 private:
  bool in_use(std::uint16_t id) const;
  std::uint16_t id_for(const OutMessage& msg);

  std::size_t max_bytes_;
  std::size_t window_ = 20;
  std::size_t bytes_ = 0;  ///< of the waiting and in-flight messages
  std::deque<OutMessage> queue_;
  std::deque<InFlight> window_msgs_;
  std::vector<bool> id_used_ = std::vector<bool>(65536);  ///< packet ids of window_msgs_: in_use() without a scan
  std::uint16_t last_id_ = 0;
};

}  // namespace actormq::bridge
