#include "bridge/cluster/session_move_proto_v1.hpp"

#include <memory>

#include "core/session/channel_host.hpp"
#include "mqtt/utf8.hpp"

namespace actormq::cluster {

using dist::Decoder;
using dist::Encoder;
using dist::WireError;

namespace {

constexpr std::uint32_t max_client_id = 65535;

sched::Pid get_valid_pid(Decoder& in) {
  sched::Pid p = in.pid();
  if (in.ok() && !p.valid()) {
    in.fail(WireError::bad_value);
  }
  return p;
}

void put_takeover(Encoder& out, const core::Takeover& t) {
  out.pid(t.by);
  out.flag(t.clean);
  out.flag(t.username != nullptr);
  if (t.username) {
    out.str(*t.username, max_client_id);
  }
}

core::Takeover get_takeover(Decoder& in, std::uint8_t) {
  core::Takeover t{get_valid_pid(in), in.flag(), nullptr};
  if (in.flag() && in.ok()) {
    std::string_view user = in.str(max_client_id);
    if (in.ok() && !mqtt::is_valid_mqtt_utf8(user)) {
      in.fail(WireError::bad_value);
    }
    t.username = std::make_shared<const std::string>(user);
  }
  return t;
}

void put_part(Encoder& out, const core::HandoverPart& p) {
  out.body(p.bytes);
  out.flag(p.last);
  out.flag(p.tail);
}

core::HandoverPart get_part(Decoder& in, std::uint8_t) {
  core::HandoverPart p;
  p.bytes = in.body();
  p.last = in.flag();
  p.tail = in.flag();
  return p;
}

void put_release(Encoder& out, const core::HandoverRelease& r) {
  out.pid(r.previous);
  out.pid(r.by);
}

core::HandoverRelease get_release(Decoder& in, std::uint8_t) {
  sched::Pid previous = get_valid_pid(in);
  return core::HandoverRelease{previous, get_valid_pid(in)};
}

void put_clients(Encoder& out, const ClusterClients& c) {
  out.u8(static_cast<std::uint8_t>(c.op));
  out.pid(c.agent);
  out.u32(static_cast<std::uint32_t>(c.rows.size()));
  for (const ClientRow& row : c.rows) {
    out.str(row.client_id, max_client_id);
    out.pid(row.session);
    out.u64(row.claimed_ms);
  }
}

ClusterClients get_clients(Decoder& in, std::uint8_t) {
  ClusterClients c;
  std::uint8_t op = in.u8();
  if (op > static_cast<std::uint8_t>(ClusterRoutes::Op::remove)) {
    in.fail(WireError::bad_value);
  }
  c.op = static_cast<ClusterRoutes::Op>(op);
  c.agent = get_valid_pid(in);
  std::uint32_t rows = in.u32();
  // A row: a client id's 4-byte length, a pid and a time at least.
  if (rows > max_route_batch || !in.fits(rows, 20)) {
    in.fail(WireError::bad_value);
    rows = 0;
  }
  c.rows.reserve(rows);
  for (std::uint32_t i = 0; i < rows && in.ok(); ++i) {
    ClientRow row;
    std::string_view id = in.str(max_client_id);
    row.client_id = std::string(id);
    row.session = get_valid_pid(in);
    row.claimed_ms = in.u64();
    // Every client id a session holds is one (3.1.3.1); an assigned one too.
    if (in.ok() && (id.empty() || !mqtt::is_valid_mqtt_utf8(id))) {
      in.fail(WireError::bad_value);
    }
    c.rows.push_back(std::move(row));
  }
  return c;
}

std::string get_client_id(Decoder& in) {
  std::string_view id = in.str(max_client_id);
  if (in.ok() && (id.empty() || !mqtt::is_valid_mqtt_utf8(id))) {
    in.fail(WireError::bad_value);
  }
  return std::string(id);
}

void put_adopt_request(Encoder& out, const core::AdoptRequest& r) {
  out.pid(r.session);
  out.str(r.client_id, max_client_id);
  out.u8(static_cast<std::uint8_t>(r.version));
  out.u32(r.session_expiry_s);
  out.flag(r.username.has_value());
  if (r.username) {
    out.str(*r.username, max_client_id);
  }
  out.u16(r.listener_index);
}

core::AdoptRequest get_adopt_request(Decoder& in, std::uint8_t) {
  core::AdoptRequest r;
  r.session = get_valid_pid(in);
  r.client_id = get_client_id(in);
  std::uint8_t version = in.u8();
  if (in.ok() && (version < static_cast<std::uint8_t>(mqtt::ProtocolVersion::v3_1) ||
                  version > static_cast<std::uint8_t>(mqtt::ProtocolVersion::v5))) {
    in.fail(WireError::bad_value);
  }
  r.version = static_cast<mqtt::ProtocolVersion>(version);
  r.session_expiry_s = in.u32();
  // Only a persistent session moves: one that ends with its connection has nothing to move.
  if (in.ok() && r.session_expiry_s == 0) {
    in.fail(WireError::bad_value);
  }
  if (in.flag() && in.ok()) {
    std::string_view user = in.str(max_client_id);
    if (in.ok() && !mqtt::is_valid_mqtt_utf8(user)) {
      in.fail(WireError::bad_value);
    }
    r.username = std::string(user);
  }
  r.listener_index = in.u16();
  return r;
}

}  // namespace

void add_session_move_types_v1(dist::Registry& registry) {
  registry.add<core::Takeover>({.id = type_id::takeover, .name = "cluster.takeover"}, put_takeover, get_takeover);
  registry.add<core::HandoverPart>({.id = type_id::handover_part, .name = "cluster.handover_part"}, put_part,
                                   get_part);
  registry.add<core::HandoverRelease>({.id = type_id::handover_release, .name = "cluster.handover_release"},
                                      put_release, get_release);
  registry.add<ClusterClients>({.id = type_id::clients, .name = "cluster.clients"}, put_clients, get_clients);
  registry.add<core::AdoptRequest>({.id = type_id::adopt_request, .name = "cluster.adopt_request"},
                                   put_adopt_request, get_adopt_request);
  registry.add<core::Adopt>(
      {.id = type_id::adopt, .name = "cluster.adopt"}, [](Encoder& out, const core::Adopt& a) { out.pid(a.by); },
      [](Decoder& in, std::uint8_t) { return core::Adopt{get_valid_pid(in)}; });
  registry.add<ClusterPing>(
      {.id = type_id::ping, .name = "cluster.ping"},
      [](Encoder& out, const ClusterPing& p) {
        out.pid(p.agent);
        out.u64(p.tag);
      },
      [](Decoder& in, std::uint8_t) {
        sched::Pid agent = get_valid_pid(in);
        return ClusterPing{agent, in.u64()};
      });
  registry.add<ClusterPong>(
      {.id = type_id::pong, .name = "cluster.pong"},
      [](Encoder& out, const ClusterPong& p) {
        out.pid(p.agent);
        out.u64(p.tag);
      },
      [](Decoder& in, std::uint8_t) {
        sched::Pid agent = get_valid_pid(in);
        return ClusterPong{agent, in.u64()};
      });
}

}  // namespace actormq::cluster
