#include "bridge/cluster/cluster_proto_v1.hpp"

#include <memory>

#include "bridge/cluster/session_move_proto_v1.hpp"

#include "core/messages.hpp"
#include "mqtt/properties.hpp"
#include "mqtt/topic.hpp"

namespace actormq::cluster {

using dist::Decoder;
using dist::Encoder;
using dist::WireError;

namespace {

void put_qos(Encoder& out, mqtt::QoS q) { out.u8(static_cast<std::uint8_t>(q)); }

mqtt::QoS get_qos(Decoder& in) {
  std::uint8_t q = in.u8();
  if (q > 2) {
    in.fail(WireError::bad_value);
    return mqtt::QoS::at_most_once;
  }
  return static_cast<mqtt::QoS>(q);
}

void put_message(Encoder& out, const core::AppMessage& m) {
  out.str(m.topic, max_topic);
  out.body(m.payload);
  put_qos(out, m.qos);
  out.flag(m.retain);
  out.str(mqtt::publish_properties_bytes(m.properties()), max_properties);
  out.str(m.publisher, max_topic);
  out.pid(m.publisher_pid);
  out.u64(m.received_ms);
}

// Null if it does not hold (the decoder says why).
std::shared_ptr<core::AppMessage> get_message(Decoder& in) {
  auto m = core::new_app_message();
  m->topic = std::string(in.str(max_topic));
  m->payload = in.body();
  m->qos = get_qos(in);
  m->retain = in.flag();
  std::string_view props = in.str(max_properties);
  m->publisher = std::string(in.str(max_topic));
  m->publisher_pid = in.pid();
  m->received_ms = in.u64();
  if (!in.ok()) {
    return nullptr;
  }
  auto properties = mqtt::publish_properties_from(props);
  if (!properties || !mqtt::is_valid_topic_name(m->topic)) {
    in.fail(WireError::bad_value);
    return nullptr;
  }
  m->set_properties(std::move(*properties));
  return m;
}

void put_deliver(Encoder& out, const core::Deliver& d) {
  // Only what a route to a node carries: a shared group's or a
  // subscription's share of a message is the subscriber's node's to add.
  if (!d.shared_group.empty() || !d.subscription_ids.empty() || d.msg == nullptr) {
    out.fail(WireError::bad_value);
    return;
  }
  put_message(out, *d.msg);
  put_qos(out, d.qos);
  out.flag(d.retain);
}

core::Deliver get_deliver(Decoder& in, std::uint8_t) {
  core::Deliver d;
  auto m = get_message(in);
  d.qos = get_qos(in);
  d.retain = in.flag();
  if (in.ok() && d.qos > m->qos) {
    in.fail(WireError::bad_value);
  }
  if (in.ok()) {
    d.msg = std::move(m);
  }
  return d;
}

void put_retain(Encoder& out, const ClusterRetain& r) {
  if (r.msg == nullptr) {
    out.fail(WireError::bad_value);
    return;
  }
  put_message(out, *r.msg);
}

ClusterRetain get_retain(Decoder& in, std::uint8_t) { return ClusterRetain{get_message(in)}; }

// The head both kinds of route rows share: op, the sending agent, a count
// of rows (checked against what the input can still hold, `min_row` bytes
// each, so no count makes the decoder loop or reserve beyond it).
void put_rows_head(Encoder& out, ClusterRoutes::Op op, sched::Pid agent, std::size_t rows) {
  out.u8(static_cast<std::uint8_t>(op));
  out.pid(agent);
  out.u32(static_cast<std::uint32_t>(rows));
}

struct RowsHead {
  ClusterRoutes::Op op = ClusterRoutes::Op::reset;
  sched::Pid agent;
  std::uint32_t rows = 0;
};

RowsHead get_rows_head(Decoder& in, std::size_t min_row) {
  RowsHead h;
  std::uint8_t op = in.u8();
  if (op > static_cast<std::uint8_t>(ClusterRoutes::Op::remove)) {
    in.fail(WireError::bad_value);
  }
  h.op = static_cast<ClusterRoutes::Op>(op);
  h.agent = in.pid();
  h.rows = in.u32();
  if (in.ok() && !h.agent.valid()) {
    in.fail(WireError::bad_value);
  }
  if (h.rows > max_route_batch || !in.fits(h.rows, min_row)) {
    in.fail(WireError::bad_value);
    h.rows = 0;
  }
  return h;
}

// A shared subscription's group name: non-empty, no '/', '+' or '#' (MQTT 5 4.8.2).
bool valid_group(std::string_view g) { return !g.empty() && g.find_first_of("/+#") == std::string_view::npos; }

void put_shared_routes(Encoder& out, const ClusterSharedRoutes& r) {
  put_rows_head(out, r.op, r.agent, r.groups.size());
  for (const auto& [group, filter] : r.groups) {
    out.str(group, max_topic);
    out.str(filter, max_topic);
  }
}

ClusterSharedRoutes get_shared_routes(Decoder& in, std::uint8_t) {
  RowsHead h = get_rows_head(in, 10);  // two strings of a 4-byte length and a byte at least
  ClusterSharedRoutes r{h.op, h.agent, {}};
  r.groups.reserve(h.rows);
  for (std::uint32_t i = 0; i < h.rows && in.ok(); ++i) {
    std::string group(in.str(max_topic));
    std::string filter(in.str(max_topic));
    if (in.ok() && (!valid_group(group) || !mqtt::is_valid_topic_filter(filter))) {
      in.fail(WireError::bad_value);
    }
    r.groups.emplace_back(std::move(group), std::move(filter));
  }
  return r;
}

void put_shared_deliver(Encoder& out, const ClusterSharedDeliver& d) {
  if (d.msg == nullptr) {
    out.fail(WireError::bad_value);
    return;
  }
  put_message(out, *d.msg);
  out.str(d.group, max_topic);
  out.str(d.filter, max_topic);
}

ClusterSharedDeliver get_shared_deliver(Decoder& in, std::uint8_t) {
  ClusterSharedDeliver d;
  d.msg = get_message(in);
  d.group = std::string(in.str(max_topic));
  d.filter = std::string(in.str(max_topic));
  if (in.ok() && (!valid_group(d.group) || !mqtt::is_valid_topic_filter(d.filter) ||
                  !mqtt::topic_matches(d.filter, d.msg->topic))) {
    in.fail(WireError::bad_value);
  }
  return d;
}

void put_routes(Encoder& out, const ClusterRoutes& r) {
  put_rows_head(out, r.op, r.agent, r.filters.size());
  for (const std::string& f : r.filters) {
    out.str(f, max_topic);
  }
}

ClusterRoutes get_routes(Decoder& in, std::uint8_t) {
  RowsHead h = get_rows_head(in, 5);  // a filter: its 4-byte length and a byte at least
  ClusterRoutes r{h.op, h.agent, {}};
  r.filters.reserve(h.rows);
  for (std::uint32_t i = 0; i < h.rows && in.ok(); ++i) {
    std::string_view f = in.str(max_topic);
    if (in.ok() && !mqtt::is_valid_topic_filter(f)) {
      in.fail(WireError::bad_value);
    }
    r.filters.emplace_back(f);
  }
  return r;
}

}  // namespace

std::string shared_key(const std::string& group, const std::string& filter) {
  std::string key = group;
  key.push_back('\0');
  key += filter;
  return key;
}

std::optional<std::pair<std::string, std::string>> split_shared_key(std::string_view key) {
  std::size_t zero = key.find('\0');
  if (zero == std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair<std::string, std::string>{std::string(key.substr(0, zero)), std::string(key.substr(zero + 1))};
}

void add_cluster_types_v1(dist::Registry& registry) {
  registry.add<core::Deliver>({.id = type_id::deliver, .name = "cluster.deliver"}, put_deliver, get_deliver);
  registry.add<ClusterRoutes>({.id = type_id::routes, .name = "cluster.routes"}, put_routes, get_routes);
  registry.add<ClusterRetain>({.id = type_id::retain, .name = "cluster.retain"}, put_retain, get_retain);
  registry.add<core::Throttle>(
      {.id = type_id::throttle, .name = "cluster.throttle"}, [](Encoder& out, const core::Throttle& t) { out.pid(t.by); },
      [](Decoder& in, std::uint8_t) { return core::Throttle{in.pid()}; });
  registry.add<core::Unthrottle>(
      {.id = type_id::unthrottle, .name = "cluster.unthrottle"},
      [](Encoder& out, const core::Unthrottle& t) { out.pid(t.by); },
      [](Decoder& in, std::uint8_t) { return core::Unthrottle{in.pid()}; });
  registry.add<ClusterSharedRoutes>({.id = type_id::shared_routes, .name = "cluster.shared_routes"},
                                    put_shared_routes, get_shared_routes);
  registry.add<ClusterSharedDeliver>({.id = type_id::shared_deliver, .name = "cluster.shared_deliver"},
                                     put_shared_deliver, get_shared_deliver);
  add_session_move_types_v1(registry);
}

}  // namespace actormq::cluster
