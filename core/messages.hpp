#pragma once
// Messages between the broker's processes: sessions, routers, the retainer.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/shared_text.hpp"
#include "mqtt/bytes.hpp"
#include "mqtt/constants.hpp"
#include "mqtt/properties.hpp"
#include "persist/body_ref.hpp"
#include "persist/hold.hpp"
#include "sched/pid.hpp"

namespace actormq::core {

class ListenerSecurity;  // core/auth/security.hpp

/// An application message on its way from one publisher to its subscribers.
/// Built once by the publishing session and never changed: every delivery,
/// queue and retained slot shares it (the payload is never copied).
struct AppMessage {
  std::string topic;
  mqtt::SharedBytes payload;
  mqtt::QoS qos = mqtt::QoS::at_most_once;
  bool retain = false;
  /// v5 properties passed through to subscribers (payload format, message
  /// expiry, content type, response topic, correlation data, user properties).
  const mqtt::Properties& properties() const { return props_ ? *props_ : no_properties(); }
  /// Most messages have none: an empty set costs a null pointer, not the
  /// ~500 bytes of mqtt::Properties (a message was 600 bytes with them inline,
  /// and a subscriber's backlog under fan-in holds hundreds of thousands).
  void set_properties(mqtt::Properties p) {
    props_ = p.empty() ? nullptr : std::make_unique<mqtt::Properties>(std::move(p));
  }
  std::string publisher;        ///< client id of the publisher (hash strategy, logs)
  sched::Pid publisher_pid;     ///< for no-local
  std::uint64_t received_ms = 0;  ///< wall clock ms at arrival (message expiry)
  /// Its stored copy, when it is queued for a persistent session (persist/).
  persist::BodyRef body;

 private:
  static const mqtt::Properties& no_properties() {
    static const mqtt::Properties none;
    return none;
  }
  std::unique_ptr<mqtt::Properties> props_;
};
using AppMessagePtr = std::shared_ptr<const AppMessage>;

/// A new message (one allocation for the message and its count).
inline std::shared_ptr<AppMessage> new_app_message() { return std::make_shared<AppMessage>(); }

/// What a subscription asks for, as the router needs it at fan-out.
struct SubInfo {
  mqtt::QoS max_qos = mqtt::QoS::at_most_once;
  bool no_local = false;
  bool retain_as_published = false;
  /// A cluster's route to another node (its subscriber forwards there): a
  /// message another node forwarded here skips it (RoutePublish::from_node).
  bool to_node = false;
  std::uint32_t subscription_id = 0;  ///< 0: none
};

/// Who a subscriber is, as its read access needs it (core/auth/acl.hpp). Shared
/// groups keep it per member: the router gives a message only to a member
/// that may read it, since the one it picked would have to drop it.
struct Reader {
  const ListenerSecurity* rules = nullptr;      ///< its listener's; null: may read anything
  std::shared_ptr<const std::string> username;  ///< null: anonymous
};

// ---- session -> router ----

/// Route a publish to every matching subscription.
struct RoutePublish {
  AppMessagePtr msg;
  /// Durability sync: the publisher's acknowledgement waits for it (core/store/ack_gate.hpp).
  persist::HoldPtr hold;
  /// Forwarded by another node of a cluster, which delivered it to every
  /// other node itself: routes to processes of other nodes are skipped.
  bool from_node = false;
};
/// A message another node of a cluster routed to one of its shared groups
/// members here: the router gives it to one member of the group on this node. `group_key` is the router's key of the
/// group (group, a zero byte, filter), the same on every node.
struct RouteSharedPublish {
  AppMessagePtr msg;
  std::string group_key;
};
/// Add or replace the route (filter, session). `group` is set for a shared
/// subscription ($share/group/filter, with `filter` stripped of the prefix).
struct RouteAdd {
  /// Without the $share prefix; the session's own key when not shared (the
  /// route table keeps it, one copy for both).
  SharedText filter;
  std::string group;
  sched::Pid session;
  std::string client_id;  ///< shared groups: hash strategy input
  SubInfo info;
  /// Takeover: this session's route on the filter ends as the new one begins,
  /// in one step, so no publish finds neither (nor both).
  sched::Pid replaces;
  Reader reader;  ///< shared groups only
  /// To observers, for a route of this node's table: `filter` had no route
  /// here before this one (a cluster announces the filter on such a change).
  bool first_of_filter = false;
};
/// Answered with RouteSynced once the router has handled everything the
/// sender sent it before: what it routed to the sender is then in its mailbox.
struct RouteSync {
  sched::Pid reply_to;
};
struct RouteSynced {};
struct RouteRemove {
  std::string filter;
  std::string group;
  sched::Pid session;
  /// To observers, for a route of this node's table: `filter` has no route
  /// here since this one went.
  bool last_of_filter = false;
};
// ---- router / retainer -> session ----

/// One message for one session: the highest granted QoS of all its matching
/// subscriptions and every matching subscription identifier (MQTT 5 3.3.4).
struct Deliver {
  AppMessagePtr msg;
  mqtt::QoS qos = mqtt::QoS::at_most_once;  ///< min(publish QoS, granted QoS)
  bool retain = false;                      ///< the RETAIN flag to send
  std::vector<std::uint32_t> subscription_ids;
  /// Through a shared subscription: the group's key in the routers, so a
  /// member that leaves with it unacknowledged can hand it back (MQTT 5 4.8.2).
  std::string shared_group;
  /// Key of its entry in the session's stored queue; 0: not stored.
  std::uint64_t store_seq = 0;
  /// Durability sync: the publisher's acknowledgement waits until this
  /// delivery is stored or known not to need it (core/store/ack_gate.hpp).
  persist::HoldPtr hold;
};

/// A shared-subscription message that its member could not complete: the
/// router gives it to another member of the group (not `from`).
struct RedeliverShared {
  Deliver delivery;
  sched::Pid from;
};

// ---- session -> session: flow control ----

/// A subscriber whose queue is backing up asks a publisher that feeds it to
/// stop reading from its client until Unthrottle (credit flow, as RabbitMQ
/// does between processes): TCP then slows the publishing client down instead
/// of the broker acknowledging messages it will have to drop.
struct Throttle {
  sched::Pid by;
};
/// A throttled publisher reads again after this long even if no Unthrottle
/// came (a consumer that stopped reading must not stall its publishers for
/// ever; its queue then drops as configured)...
inline constexpr std::uint64_t throttle_timeout_ms = 1000;
/// ...so whoever keeps a publisher throttled renews the Throttle this often.
inline constexpr std::uint64_t throttle_renew_ms = 400;
struct Unthrottle {
  sched::Pid by;
};

// ---- session -> retainer ----

/// Store (or, with an empty payload, delete) the retained message of a topic.
struct RetainStore {
  AppMessagePtr msg;
  /// Released once the retained message is stored (durability sync gates
  /// the publisher's acknowledgement on it).
  persist::HoldPtr hold;
  /// Another node of a cluster stored it and passes it on: it replaces (or
  /// deletes) this node's message of the topic only if it is newer (by
  /// arrival time), and observers are not told of it.
  bool from_node = false;
};
/// From now on `observer` gets a RetainStore (without hold) for every
/// retained message this node's clients store or delete, $SYS aside (the
/// cluster passes them to the other nodes).
struct RetainObserve {
  sched::Pid observer;
};
/// Answered with RetainedDump, once the stored ones are loaded: every
/// retained message that matches `filter` ("#": every one but $SYS's).
struct RetainDump {
  sched::Pid reply_to;
  std::uint64_t tag = 0;  ///< the asker's, returned
  std::string filter = "#";
};
struct RetainedDump {
  std::uint64_t tag = 0;
  std::vector<AppMessagePtr> messages;
};
/// An operator deletes the retained message of `topic` (the HTTP API):
/// answered with RetainErased, once the stored ones are loaded. Observers
/// are told, as of a client's delete.
struct RetainErase {
  sched::Pid reply_to;
  std::uint64_t tag = 0;
  std::string topic;
};
struct RetainErased {
  std::uint64_t tag = 0;
  bool found = false;  ///< the topic had a retained message
};
/// Send `session` the retained messages matching `filter` as Deliver messages.
struct RetainQuery {
  std::string filter;
  sched::Pid session;
  SubInfo info;
};

// ---- broker -> session ----

/// The TLS listeners' files were read again (SIGHUP): a session whose
/// client's certificate a reloaded CRL now lists ends its connection.
struct TlsReloaded {};
/// A reload closed listeners (ListenerShared::closed): a session whose
/// connection came through one of them ends it (v5: DISCONNECT 0x8B).
struct ListenerClosed {};

}  // namespace actormq::core
