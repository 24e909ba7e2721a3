#pragma once
// The process of one MQTT bridge: a client connection to the remote broker
// (bridge/mqtt/client.hpp speaks the protocol; this process owns the
// socket, the timers and the local side). It subscribes locally to the
// local filters of its out and both topics and forwards what they receive;
// it subscribes on the remote to the remote filters of its in and both
// topics and publishes here what arrives, as a publisher of its own, so
// that its local routes (No Local) never send a message it brought in back
// out. It dials the bridge's addresses in turn until one answers, and
// dials again forever after a loss, with a capped, jittered backoff.
// States are logged, and with notifications published retained on
// $SYS/broker/connection/<name>/state: "1" while connected, "0" otherwise.
// QoS 1/2 messages for the remote are kept in the store (out_store.hpp)
// until the remote acknowledges them, and read back when it starts.
//
// A bridge changed by a reload gets a new process, which takes the old
// one's place as a session takeover does (core/session/handle_disconnect.cpp):
// the old one ends its connection and moves the routes of the local filters
// both have to the new one (RouteAdd replacing its own: each router switches
// in one step, so no publish finds neither), drops those the new one lacks,
// and once every router has switched (RouteSync) and its records are
// committed, tells the new one (BridgeHandedOver) and ends. Meanwhile the
// new one holds what its routes bring, then reads the store back, sends
// that and then what it held, in order, and only then dials.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bridge/mqtt/backoff.hpp"
#include "bridge/mqtt/bridge_counters.hpp"
#include "bridge/mqtt/client.hpp"
#include "bridge/mqtt/out_store.hpp"
#include "bridge/mqtt/topic_map.hpp"
#include "core/config/bridges.hpp"
#include "core/config/cluster.hpp"
#include "core/messages.hpp"
#include "net/socket.hpp"
#include "net/tls_client_context.hpp"
#include "sched/process.hpp"

namespace actormq::core {
struct BrokerContext;
}

namespace actormq::bridge {

/// What a bridge's process needs that does not change while it runs.
struct BridgeSetup {
  core::BridgeConfig config;
  std::vector<core::SeedAddress> endpoints;      ///< address, then the fallbacks
  std::shared_ptr<net::TlsClientContext> tls;    ///< null: plain TCP
  TopicMap topics;
  std::shared_ptr<BridgeCounters> counters;  ///< the process writes them; anyone reads
};

/// To a BridgeLink: stop (the connection ends with its last words, no more
/// dialling; messages for the remote wait as while it is down) or start again.
/// To a BridgeLink: the broker serves (core::Service::serving), dial. Until
/// then a link holds its local routes but brings nothing in.
struct BridgeServe {};

struct BridgeEnable {
  bool enabled = true;
};

/// To the process of a bridge changed by a reload, from the one that
/// replaces it: hand over to `successor` (see the top of this file).
struct BridgeHandOver {
  sched::Pid successor;
  std::shared_ptr<const BridgeSetup> setup;  ///< the successor's
};

/// To the successor: every router routes to it now, and what the
/// predecessor owed the remote is committed to the store, or, when the
/// broker keeps none, in `owed` (in flight first, then waiting).
struct BridgeHandedOver {
  std::vector<OutMessage> owed;
};

class BridgeLink final : public sched::Process {
 public:
  /// `predecessor`: the running process of this bridge, which hands over
  /// to this one (a reload); none: a bridge's first process.
  BridgeLink(core::BrokerContext& ctx, std::shared_ptr<const BridgeSetup> setup, sched::Pid predecessor = {});

  /// From dialling to CONNACK, at most.
  static constexpr std::uint64_t connect_timeout_ms = 10000;

 protected:
  void on_start() override;
  void on_message(sched::Message& msg) override;
  void after_run() override;
  void on_exit(const sched::ExitReason& reason) override;

 private:
  enum class State { waiting, connecting, handshaking, up, disabled, handing_over };
  struct Tick {
    std::uint32_t generation;
  };
  struct ConnectDeadline {
    std::uint32_t generation;
  };
  struct Redial {};
  struct ReadMore {};

  // bridge_link.cpp: the local side, states and their notifications.
  void on_deliver(const core::Deliver& d);
  void route_in(mqtt::Publish& p, persist::HoldPtr hold);
  void execute(Actions a);
  /// Durability sync: holds for the held acknowledgements of `a`, by index in a.route.
  std::vector<persist::HoldPtr> gate_acks(const Actions& a);
  void on_ack_ready(std::uint64_t token, int store_error);
  void write_ready_acks();
  void on_up();
  void lost(const std::string& why);
  void set_enabled(bool enabled);
  void notify_local(bool up);
  void set_local_routes(bool add);
  /// The local route of `f` for the bridge of `config`, to `link`.
  [[nodiscard]] static core::RouteAdd local_route(const FilterQos& f, sched::Pid link,
                                                  const core::BridgeConfig& config);
  void on_tick(std::uint32_t generation);
  /// The stored messages, then `owed` (a predecessor's, memory only), ahead of any new one.
  void restore(std::vector<OutMessage> owed = {});
  void set_state(State s);
  void count(const Actions& a);
  [[nodiscard]] std::string who() const;
  [[nodiscard]] std::uint64_t now_ms() const;
  // bridge_link_handover.cpp: a reload's change of process.
  void hand_over(BridgeHandOver h);
  void on_route_synced();
  void on_hand_over_committed(int store_error);
  void took_over(std::vector<OutMessage> owed);
  void predecessor_ended();
  /// Ending before the predecessor has handed over: what our routes brought is not stored.
  void drop_taken();
  // bridge_link_io.cpp: dial, read, write.
  void dial();
  void on_socket(const net::SocketReady& ready);
  void on_connected();
  void read();
  void write(std::vector<std::uint8_t> bytes);
  void flush();
  void close_socket();
  [[nodiscard]] std::size_t unsent() const noexcept { return out_.size() - out_pos_; }

  core::BrokerContext& ctx_;
  std::shared_ptr<const BridgeSetup> setup_;
  Client client_;
  OutStore store_;
  Backoff backoff_;
  State state_ = State::waiting;
  std::uint32_t generation_ = 0;  ///< of the current connection: stale timers do nothing
  std::size_t endpoint_ = 0;      ///< index in setup_->endpoints being dialled
  net::Socket* socket_ = nullptr;
  net::Stream* stream_ = nullptr;  ///< the socket, or TLS over it
  std::vector<std::uint8_t> out_;  ///< bytes the stream has not taken
  std::size_t out_pos_ = 0;
  std::optional<bool> published_state_;  ///< the last local notification
  std::uint64_t dropped_ = 0;            ///< messages dropped for the remote, all told
  bool read_more_sent_ = false;          ///< a ReadMore is on its way: no second one
  bool served_ = false;                  ///< BridgeServe came: the first dial is done
  /// Durability sync: a remote message's PUBACK or PUBREC waits until what
  /// it caused is stored (core/store/ack_gate.hpp), and goes out in the
  /// order the messages came (MQTT 4.6). Those of a lost connection go: the
  /// remote sends their messages again.
  struct PendingAck {
    std::uint64_t token;
    mqtt::Packet packet;
    bool ready;
  };
  std::deque<PendingAck> pending_acks_;
  std::uint64_t next_ack_token_ = 1;
  /// AckReady's token for the commit a hand-over waits for (never a PendingAck's).
  static constexpr std::uint64_t hand_over_token = 0;

  // A reload's change of process. As the successor:
  sched::Pid predecessor_;           ///< until it has handed over: deliveries wait in taken_
  sched::MonitorRef predecessor_monitor_ = 0;
  bool predecessor_gone_ = false;    ///< it ended without handing over: its commit is awaited
  std::vector<core::Deliver> taken_;  ///< what our routes brought meanwhile, in order
  std::optional<BridgeHandOver> next_hand_over_;  ///< a newer reload's, once we have taken over
  // As the predecessor:
  sched::Pid successor_;
  std::size_t syncs_pending_ = 0;  ///< routers yet to confirm the switch
};

}  // namespace actormq::bridge
