#include "core/http/prometheus.hpp"

#include <cctype>

#include "core/clock.hpp"
#include "mqtt/constants.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

namespace {

class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, std::int64_t value, std::string_view labels = {}) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += std::to_string(value);
    out_ += '\n';
  }
  void single(std::string_view name, std::string_view type, std::string_view help, std::int64_t value) {
    family(name, type, help);
    sample(name, value);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

struct CounterFamily {
  std::string_view name;
  Counter counter;
  std::string_view help;
};

constexpr CounterFamily counter_families[] = {
    {"actormq_messages_received_total", Counter::messages_received, "PUBLISH packets received from clients."},
    {"actormq_messages_sent_total", Counter::messages_sent, "PUBLISH packets sent to clients."},
    {"actormq_messages_dropped_total", Counter::publish_dropped,
     "Deliveries dropped: queue full, expired, or QoS 0 for an offline session."},
    {"actormq_messages_rate_limited_total", Counter::publish_rate_limited,
     "Publishes over a client's publish rate limit."},
    {"actormq_bytes_received_total", Counter::bytes_received, "Bytes received from MQTT clients."},
    {"actormq_bytes_sent_total", Counter::bytes_sent, "Bytes sent to MQTT clients."},
    {"actormq_client_connected_total", Counter::connects, "CONNECTs accepted."},
    {"actormq_client_auth_success_total", Counter::auth_successes,
     "CONNECTs whose credentials or enhanced authentication were accepted."},
    {"actormq_client_auth_failure_total", Counter::auth_failures,
     "CONNECTs refused for their credentials or authentication."},
    {"actormq_authorization_allow_total", Counter::acl_allowed, "Publishes and subscriptions the ACL allowed."},
    {"actormq_authorization_deny_total", Counter::acl_denied,
     "Publishes, subscriptions and deliveries refused by the ACL."},
    {"actormq_client_malformed_total", Counter::malformed,
     "Connections closed for a malformed packet or a protocol error."},
    {"actormq_session_crashes_total", Counter::session_crashes, "Session processes that ended by an exception."},
    {"actormq_store_failures_total", Counter::store_failures,
     "Connections closed because a store write they waited on failed."},
};

// Why deliveries were dropped (their sum, with a failed write, is
// actormq_messages_dropped_total).
constexpr std::pair<Counter, std::string_view> drop_reasons[] = {
    {Counter::dropped_expired, "expired"},
    {Counter::dropped_queue_full, "queue_full"},
    {Counter::dropped_qos0_offline, "qos0_offline"},
    {Counter::dropped_too_large, "too_large"},
};

std::string packet_label(std::uint8_t type) {
  std::string name(mqtt::to_string(static_cast<mqtt::PacketType>(type)));
  for (char& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return "type=\"" + name + "\"";
}

// The packet types a server receives or sends (MQTT 2.1.2): PUBLISH, its
// acknowledgements, DISCONNECT and AUTH go both ways.
bool flows(PacketFlow flow, std::uint8_t type) {
  using T = mqtt::PacketType;
  auto t = static_cast<T>(type);
  if (flow == PacketFlow::received) {
    return mqtt::is_client_to_server(t);
  }
  return t != T::connect && t != T::subscribe && t != T::unsubscribe && t != T::pingreq;
}

// One family per bridge counter, a series per bridge (none without bridges:
// a family with no samples says nothing).
void write_bridges(Writer& w, const std::vector<BridgeView>& bridges) {
  if (bridges.empty()) {
    return;
  }
  struct Family {
    std::string_view name, type, help;
    std::int64_t (*value)(const BridgeView&);
  };
  static constexpr Family families[] = {
      {"actormq_bridge_up", "gauge", "1 while the bridge's connection to its remote is up, else 0.",
       [](const BridgeView& b) -> std::int64_t { return b.state == "up" ? 1 : 0; }},
      {"actormq_bridge_enabled", "gauge", "0 while an operator has disabled the bridge.",
       [](const BridgeView& b) -> std::int64_t { return b.enabled ? 1 : 0; }},
      {"actormq_bridge_messages_received_total", "counter", "Messages the bridge received from its remote.",
       [](const BridgeView& b) { return static_cast<std::int64_t>(b.messages_received); }},
      {"actormq_bridge_messages_sent_total", "counter", "Messages the bridge's remote took.",
       [](const BridgeView& b) { return static_cast<std::int64_t>(b.messages_sent); }},
      {"actormq_bridge_messages_dropped_total", "counter", "Messages for the remote the bridge gave up.",
       [](const BridgeView& b) { return static_cast<std::int64_t>(b.messages_dropped); }},
      {"actormq_bridge_buffered_messages", "gauge", "Messages owed to the remote now.",
       [](const BridgeView& b) { return static_cast<std::int64_t>(b.buffered_messages); }},
      {"actormq_bridge_buffered_bytes", "gauge", "Bytes of the messages owed to the remote now.",
       [](const BridgeView& b) { return static_cast<std::int64_t>(b.buffered_bytes); }},
  };
  for (const Family& f : families) {
    w.family(f.name, f.type, f.help);
    for (const BridgeView& b : bridges) {
      w.sample(f.name, f.value(b), metric_label("bridge", b.name));
    }
  }
}

}  // namespace

MetricsSnapshot snapshot_metrics(BrokerContext& ctx, std::uint64_t started_ms) {
  MetricsSnapshot m;
  for (std::size_t i = 0; i < m.counters.size(); ++i) {
    m.counters[i] = ctx.metrics.get(static_cast<Counter>(i));
  }
  for (std::size_t f = 0; f < 2; ++f) {
    for (std::uint8_t t = 1; t < Metrics::packet_types; ++t) {
      m.packets[f][t] = ctx.metrics.packets(static_cast<PacketFlow>(f), t);
    }
  }
  m.sessions = static_cast<std::int64_t>(ctx.registry.size());
  m.processes = ctx.runtime.process_count();
  m.schedulers = static_cast<std::int64_t>(ctx.runtime.scheduler_count());
  std::uint64_t now = wall_ms();
  m.uptime_s = now > started_ms ? static_cast<std::int64_t>((now - started_ms) / 1000) : 0;
  for (std::size_t i = 0; i < ctx.runtime.scheduler_count(); ++i) {
    m.run_queues.push_back(ctx.runtime.scheduler(i).queue_length());
  }
  if (ctx.store != nullptr) {
    auto n = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
    m.store = StoreStats{n(ctx.store->commits()), n(ctx.store->ops_applied()), n(ctx.store->failed_commits()),
                         n(ctx.store->commit_micros())};
  }
  m.bridges = ctx.bridges.views();
  m.services = ctx.metric_sources.collect();
  return m;
}

std::string prometheus_text(const MetricsSnapshot& m) {
  Writer w;
  w.single("actormq_connections_count", "gauge", "MQTT connections with a CONNECT accepted.",
           m.get(Counter::clients_connected));
  w.single("actormq_connections_max", "gauge", "Highest actormq_connections_count seen.",
           m.get(Counter::clients_maximum));
  w.single("actormq_sessions_count", "gauge", "Sessions, connected or persistent and offline.", m.sessions);
  w.single("actormq_subscriptions_count", "gauge", "Subscriptions of all sessions.", m.get(Counter::subscriptions));
  w.single("actormq_retained_count", "gauge", "Topics with a retained message.", m.get(Counter::retained_messages));
  for (const CounterFamily& f : counter_families) {
    w.single(f.name, "counter", f.help, m.get(f.counter));
  }
  const std::pair<PacketFlow, std::string_view> directions[] = {
      {PacketFlow::received, "actormq_packets_received_total"}, {PacketFlow::sent, "actormq_packets_sent_total"}};
  for (const auto& [flow, name] : directions) {
    w.family(name, "counter",
             flow == PacketFlow::received ? "MQTT packets received, by type." : "MQTT packets sent, by type.");
    for (std::uint8_t t = 1; t < Metrics::packet_types; ++t) {
      if (flows(flow, t)) {
        w.sample(name, m.packets[static_cast<std::size_t>(flow)][t], packet_label(t));
      }
    }
  }
  w.family("actormq_delivery_dropped_total", "counter", "Deliveries dropped, by reason.");
  for (const auto& [counter, reason] : drop_reasons) {
    w.sample("actormq_delivery_dropped_total", m.get(counter), metric_label("reason", reason));
  }
  w.family("actormq_scheduler_run_queue", "gauge", "Runnable processes waiting for their scheduler.");
  for (std::size_t i = 0; i < m.run_queues.size(); ++i) {
    w.sample("actormq_scheduler_run_queue", m.run_queues[i], metric_label("scheduler", std::to_string(i)));
  }
  if (m.store) {
    w.single("actormq_store_commits_total", "counter", "Store transactions committed.", m.store->commits);
    w.single("actormq_store_writes_total", "counter", "Writes the committed transactions held.", m.store->writes);
    w.single("actormq_store_commit_failures_total", "counter", "Store commits that failed (each retry counts).",
             m.store->failed_commits);
    w.single("actormq_store_commit_microseconds_total", "counter",
             "Time the committed transactions took, with their flush to disk; over commits, the mean latency.",
             m.store->commit_micros);
  }
  w.single("actormq_processes_count", "gauge", "Live processes of the runtime (sessions, routers, listeners, ...).",
           m.processes);
  w.single("actormq_schedulers_count", "gauge", "Scheduler threads.", m.schedulers);
  w.single("actormq_uptime_seconds", "gauge", "Seconds since the broker started.", m.uptime_s);
  write_bridges(w, m.bridges);
  for (const MetricFamily& f : m.services) {
    w.family(f.name, f.type, f.help);
    for (const auto& [labels, value] : f.samples) {
      w.sample(f.name, value, labels);
    }
  }
  return w.take();
}

}  // namespace actormq::core
