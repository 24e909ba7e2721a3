#pragma once
// The channel's fake host (core/session/channel_host.hpp) and the helpers
// of the channel tests: no socket, no runtime; the host records what the
// channel made happen.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/auth/security.hpp"
#include "core/session/channel.hpp"

namespace actormq::core::channel_test {

using mqtt::QoS;
using mqtt::ReasonCode;

/// A PUBLISH as the host was asked to write it.
struct Written {
  std::string topic;
  QoS qos;
  std::uint16_t packet_id;
  bool dup;
  std::optional<std::uint16_t> topic_alias;
};

struct Timer {
  ChannelTimer kind;
  std::uint32_t generation;
  std::uint64_t ms;
};

class FakeHost : public ChannelHost {
 public:
  explicit FakeHost(bool allow_anonymous = true) : rules(allow_anonymous, "", "", "", false) {}

  // What the channel made happen, in order per kind.
  std::vector<mqtt::Packet> packets;
  std::vector<Written> publishes;
  std::vector<AppMessagePtr> routed;
  std::vector<RouteAdd> route_adds;
  std::vector<RouteRemove> route_removes;
  std::vector<std::string> retained_queries;
  std::vector<Timer> timers;
  int closes = 0;
  bool ended = false;
  bool open = true;
  std::uint64_t now = 1000;
  std::uint64_t last_read = 1000;

  Limits limits_;
  Metrics metrics_;
  ListenerSecurity rules;
  sched::Pid self_{};

  const Limits& limits() const override { return limits_; }
  Metrics& metrics() override { return metrics_; }
  const ListenerSecurity* security(std::uint16_t) const override { return &rules; }
  persist::Writer* store() const override { return nullptr; }
  sched::Pid pid() const override { return self_; }
  std::uint64_t now_ms() override { return now; }
  std::uint32_t mailbox_backlog() const override { return 0; }
  bool mailbox_within(std::uint32_t) const override { return true; }
  bool write(const mqtt::Packet& packet, mqtt::ProtocolVersion) override {
    if (open) {
      packets.push_back(packet);
    }
    return true;
  }
  bool write_publish(const mqtt::PublishHeader& h, const mqtt::SharedBytes&, mqtt::ProtocolVersion) override {
    std::optional<std::uint16_t> alias;
    if (h.properties != nullptr) {
      alias = h.properties->topic_alias;
    }
    publishes.push_back(Written{std::string(h.topic), h.qos, h.packet_id, h.dup, alias});
    return true;
  }
  bool connection_open() const override { return open; }
  std::size_t pending_bytes() const override { return 0; }
  void close_connection() override {
    ++closes;
    open = false;
  }
  void set_version(mqtt::ProtocolVersion) override {}
  std::string peer_identity() const override { return {}; }
  std::uint64_t last_read_ms() const override { return last_read; }
  void read_input() override {}
  bool replay_input() override { return open; }
  void want_input() override {}
  void route(AppMessagePtr msg, persist::HoldPtr) override { routed.push_back(std::move(msg)); }
  void add_route(const RouteAdd& add) override { route_adds.push_back(add); }
  void remove_route(const RouteRemove& remove) override { route_removes.push_back(remove); }
  std::size_t sync_routes() override { return 0; }
  void redeliver_shared(Deliver) override {}
  void query_retained(const std::string& filter, const SubInfo&) override { retained_queries.push_back(filter); }
  /// The session that holds the client id already, if any: it is asked to hand over.
  std::optional<sched::Pid> previous;
  std::optional<sched::Pid> claim_client_id(const ClientId&, bool connected) override {
    claims.push_back(connected);
    return previous;
  }
  std::vector<bool> claims;  ///< each claim's `connected`
  std::vector<sched::Pid> adopts;
  void send_adopt(sched::Pid to) override { adopts.push_back(to); }
  std::vector<std::pair<sched::Pid, AdoptRequest>> adoption_requests;
  void request_adoption(sched::Pid agent, AdoptRequest r) override { adoption_requests.emplace_back(agent, std::move(r)); }
  bool evacuated = false;             ///< the node is evacuated: CONNECTs refused
  std::string evacuation_reference;   ///< with this Server Reference
  std::optional<std::string> evacuating() const override {
    return evacuated ? std::optional<std::string>(evacuation_reference) : std::nullopt;
  }
  bool send_takeover(sched::Pid to, Takeover) override {
    takeovers.push_back(to);
    return previous.has_value() || remote.has_value();
  }
  std::vector<sched::Pid> takeovers;  ///< whom send_takeover asked, in order
  /// States sent to other sessions: (to, tail) and the state.
  std::vector<std::pair<sched::Pid, bool>> handovers;
  std::vector<SessionState> handed;
  void send_handover(sched::Pid to, SessionState state, bool tail) override {
    handovers.emplace_back(to, tail);
    handed.push_back(std::move(state));
  }
  /// The session of the client id on another node, if any (the latest
  /// claim), and the claim before it.
  std::optional<sched::Pid> remote;
  std::optional<sched::Pid> remote_before;
  std::vector<sched::Pid> released;
  /// drain_peers(): in a cluster (the answer, PeersDrained, is the test's to give).
  bool cluster_drain = false;
  int drains_asked = 0;
  std::optional<sched::Pid> find_remote_session(const std::string&, sched::Pid except = {}) override {
    return remote && *remote == except ? remote_before : remote;
  }
  void release_previous(sched::Pid previous) override { released.push_back(previous); }
  bool drain_peers() override {
    ++drains_asked;
    return cluster_drain;
  }
  void send_throttle(sched::Pid, bool) override {}
  void monitor(sched::Pid) override {}
  /// Durability sync: acknowledgements wait for their commit; the tokens
  /// of the gates asked for, in order (the test answers with on_ack_ready).
  bool durable = false;
  std::vector<std::uint64_t> ack_tokens;
  bool durable_acks() const override { return durable; }
  persist::HoldPtr ack_gate(std::uint64_t token) override {
    ack_tokens.push_back(token);
    return nullptr;
  }
  void arm_timer(ChannelTimer kind, std::uint32_t generation, std::uint64_t ms) override {
    timers.push_back(Timer{kind, generation, ms});
  }
  void cancel_connect_timer() override {}
  void charge(std::uint32_t) override {}
  void end() override { ended = true; }

  template <class P>
  const P& last() const {
    REQUIRE(!packets.empty());
    REQUIRE(std::holds_alternative<P>(packets.back()));
    return std::get<P>(packets.back());
  }
  const Timer* last_timer(ChannelTimer kind) const {
    for (auto it = timers.rbegin(); it != timers.rend(); ++it) {
      if (it->kind == kind) {
        return &*it;
      }
    }
    return nullptr;
  }
};

inline void in(Channel& ch, FakeHost& host, mqtt::Packet p) { ch.handle_in(host, p); }

inline mqtt::Connect connect(mqtt::ProtocolVersion v, std::string id) {
  mqtt::Connect c;
  c.version = v;
  c.client_id = std::move(id);
  return c;
}

/// A connected channel (CONNACK taken off the host's record).
inline void connect_ok(Channel& ch, FakeHost& host, mqtt::Connect c) {
  in(ch, host, std::move(c));
  REQUIRE(ch.connected());
  REQUIRE(host.last<mqtt::Connack>().reason_code == ReasonCode::success);
  host.packets.clear();
}

inline mqtt::Publish publish(std::string topic, QoS qos, std::uint16_t id) {
  mqtt::Publish p;
  p.topic = std::move(topic);
  p.payload = mqtt::SharedBytes::copy_of(std::string_view("hello"));
  p.qos = qos;
  p.packet_id = id;
  return p;
}

inline Deliver delivery(std::string topic, QoS qos) {
  auto msg = new_app_message();
  msg->topic = std::move(topic);
  msg->payload = mqtt::SharedBytes::copy_of(std::string_view("x"));
  msg->qos = qos;
  Deliver d;
  d.msg = std::move(msg);
  d.qos = qos;
  return d;
}

}  // namespace actormq::core::channel_test
