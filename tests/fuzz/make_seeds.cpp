// Writes the generated seeds of corpus/ (in a -DACTORMQ_FUZZ=ON build):
//   cmake --build build-fuzz --target make_seeds
//   build-fuzz/tests/fuzz/make_seeds tests/fuzz/corpus
// Packets of every type in each version (tests/mqtt/samples.hpp), one
// connection's stream cut into chunks, property lists of every packet, stored
// records and keys, a session's state in parts, WebSocket frames, a config with every key, node-link data
// frames and both sides of a node-link handshake. Each seed starts with the header
// byte its target expects (fuzz_util.hpp's Chunks, or the target's own).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/dist/gossip.hpp"
#include "bridge/dist/handshake.hpp"
#include "bridge/dist/runtime_proto_v1.hpp"
#include "bridge/dist/wire.hpp"
#include "core/config/config.hpp"
#include "core/session/session_state_codec.hpp"
#include "core/store/persistence.hpp"
#include "mqtt/encode.hpp"
#include "persist/record.hpp"
#include "tests/bridge/cluster_samples.hpp"
#include "tests/bridge/dist_samples.hpp"
#include "tests/fuzz/dist_handshake_target.hpp"
#include "tests/mqtt/samples.hpp"

namespace fs = std::filesystem;
using namespace actormq;
using Bytes = std::vector<std::uint8_t>;

namespace {

fs::path root;

void write(const std::string& target, const std::string& name, const Bytes& bytes) {
  fs::create_directories(root / target);
  std::ofstream out(root / target / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write(const std::string& target, const std::string& name, std::string_view text) {
  write(target, name, Bytes(text.begin(), text.end()));
}

constexpr std::size_t max_seed = 2048;

void parser_seeds(const std::string& target, mqtt::ProtocolVersion v) {
  Bytes stream = {0x03, 0, 4, 16};  // chunks of 1, 5 and 17 bytes, in turn
  int i = 0;
  for (const mqtt::Packet& p : mqtt::test::sample_packets(v)) {
    auto bytes = mqtt::encode(p, v);
    if (!bytes.ok() || bytes->size() > max_seed) {
      continue;
    }
    Bytes seed = {0x00};  // one chunk, no size limit
    seed.insert(seed.end(), bytes->begin(), bytes->end());
    char name[32];
    std::snprintf(name, sizeof name, "packet-%02d-type-%d", i++, static_cast<int>(p.index()) + 1);
    write(target, name, seed);
    if (stream.size() + bytes->size() <= max_seed) {
      stream.insert(stream.end(), bytes->begin(), bytes->end());
    }
  }
  write(target, "stream-chunked", stream);
}

void property_seeds() {
  for (int type = 1; type <= 15; ++type) {
    for (bool will : {false, true}) {
      if (will && type != 1) {
        continue;
      }
      mqtt::PropertyContext ctx{static_cast<mqtt::PacketType>(type), will};
      mqtt::Properties props = mqtt::test::all_properties(ctx);
      auto body = mqtt::properties_body_size(props);
      if (!body.ok()) {
        continue;
      }
      Bytes seed(1 + mqtt::properties_wire_size(*body));
      seed[0] = static_cast<std::uint8_t>(type | (will ? 0x10 : 0));
      mqtt::Writer out(std::span(seed).subspan(1));
      mqtt::write_properties(out, props, *body);
      write("properties", std::string(will ? "will" : "type-") + (will ? "" : std::to_string(type)), seed);
    }
  }
}

persist::StoredMessage message() {
  persist::StoredMessage m;
  m.topic = "sensors/room1/temp";
  m.payload = mqtt::SharedBytes::copy_of(std::string_view("21.5"));
  m.qos = mqtt::QoS::at_least_once;
  m.retain = true;
  m.properties.content_type = "text/plain";
  m.properties.user_properties = {{"k", "v"}};
  m.publisher = "client-1";
  m.received_ms = 1'700'000'000'000;
  return m;
}

void record_seeds() {
  write("record", "message", persist::encode(message()));
  persist::StoredEntry e;
  e.body_id = 42;
  e.qos = mqtt::QoS::exactly_once;
  e.released = true;
  e.seq = 7;
  e.subscription_ids = {1, 300};
  write("record", "entry", persist::encode(e));
  persist::StoredSession s;
  s.protocol_version = 5;
  s.session_expiry_s = 3600;
  s.last_packet_id = 9;
  s.subscriptions.push_back({"$share/g/a/+", "a/+", "g", mqtt::QoS::at_least_once, true, false, 5});
  s.subscriptions.push_back({"b/#", "b/#", "", mqtt::QoS::at_most_once, false, true, 0});
  s.will = persist::StoredWill{message(), 30};
  s.username = "alice";
  s.listener_index = 1;
  write("record", "session", persist::encode(s));
  write("record", "session-minimal", persist::encode(persist::StoredSession{}));
  write("record", "session-key", persist::session_key("client-1", 12));
  write("record", "body-key", persist::body_key(99));
}

// A session's state with a record of each kind, as one part (header byte 0)
// and as parts of at most 256 bytes, each one chunk (fuzz_util.hpp's Chunks).
void session_state_seeds() {
  core::SessionState st;
  st.last_packet_id = 3;
  st.inflight_seq = 2;
  st.subscriptions.emplace("$share/g/a/+", core::Subscription::of("$share/g/a/+", core::SubInfo{mqtt::QoS::at_least_once, false, false, false, 5}));
  st.subscriptions.emplace("b/#", core::Subscription::of("b/#", core::SubInfo{mqtt::QoS::exactly_once, true, true, false, 0}));
  core::Deliver d;
  d.msg = core::from_stored(message(), nullptr);
  d.qos = mqtt::QoS::at_least_once;
  d.subscription_ids = {5};
  st.inflight.emplace(std::uint16_t{1}, core::Inflight{1, d, false});
  core::Deliver released;
  released.qos = mqtt::QoS::exactly_once;
  st.inflight.emplace(std::uint16_t{2}, core::Inflight{2, released, true});
  st.queue.push_back(d);
  d.shared_group = "g";
  st.queue.push_back(d);
  st.awaiting_rel = {7};
  st.will = std::make_unique<mqtt::Will>(core::from_stored(persist::StoredWill{message(), 30}));
  for (std::size_t part_bytes : {std::size_t{1} << 30, std::size_t{64}}) {
    auto parts = core::encode_session_state(st, part_bytes);
    Bytes seed = {static_cast<std::uint8_t>(parts.size() == 1 ? 0 : parts.size())};
    for (const std::string& p : parts) {
      if (parts.size() > 1 && (parts.size() > 15 || p.size() > 256)) {
        std::fprintf(stderr, "session_state seed: parts do not fit the chunk lengths\n");
        std::exit(1);
      }
      if (parts.size() > 1) {
        seed.push_back(static_cast<std::uint8_t>(p.size() - 1));
      }
    }
    for (const std::string& p : parts) {
      seed.insert(seed.end(), p.begin(), p.end());
    }
    write("session_state", parts.size() == 1 ? "one-part" : "parts", seed);
  }
  auto empty = core::encode_session_state(core::SessionState{});
  Bytes seed = {0};
  seed.insert(seed.end(), empty.front().begin(), empty.front().end());
  write("session_state", "empty", seed);
}

// A client's frame: FIN, opcode, masked payload (RFC 6455 5.2).
Bytes frame(std::uint8_t opcode, const Bytes& payload, bool fin = true) {
  Bytes f = {static_cast<std::uint8_t>((fin ? 0x80 : 0) | opcode)};
  if (payload.size() < 126) {
    f.push_back(static_cast<std::uint8_t>(0x80 | payload.size()));
  } else {
    f.push_back(0x80 | 126);
    f.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
    f.push_back(static_cast<std::uint8_t>(payload.size()));
  }
  const std::uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.insert(f.end(), mask, mask + 4);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    f.push_back(payload[i] ^ mask[i % 4]);
  }
  return f;
}

void ws_seeds() {
  mqtt::Connect c;
  c.version = mqtt::ProtocolVersion::v3_1_1;
  c.client_id = "ws-client";
  Bytes connect = *mqtt::encode(c, mqtt::ProtocolVersion::v3_1_1);
  auto seed = [](std::uint8_t header, std::initializer_list<Bytes> frames) {
    Bytes out = {header};
    for (const Bytes& f : frames) {
      out.insert(out.end(), f.begin(), f.end());
    }
    return out;
  };
  write("ws_stream", "binary", seed(0x00, {frame(0x2, connect)}));
  write("ws_stream", "binary-small-buffer", seed(0x10, {frame(0x2, connect)}));
  Bytes first(connect.begin(), connect.begin() + 5);
  Bytes rest(connect.begin() + 5, connect.end());
  write("ws_stream", "fragmented-with-ping",
        seed(0x00, {frame(0x2, first, false), frame(0x9, {'h', 'i'}), frame(0x0, rest)}));
  write("ws_stream", "close", seed(0x00, {frame(0x2, connect), frame(0x8, {0x03, 0xE8})}));
  write("ws_stream", "text", seed(0x00, {frame(0x1, {'h', 'i'})}));
  write("ws_stream", "too-big", seed(0x40, {frame(0x2, Bytes(200, 0x30))}));
  Bytes chunked = {0x02, 2, 0};  // chunks of 3 and 1 bytes, short writes
  chunked[0] |= 0x80;
  Bytes two = frame(0x2, connect);
  chunked.insert(chunked.end(), two.begin(), two.end());
  write("ws_stream", "chunked-short-writes", chunked);
}

// Every documented key at its default (those whose default is JSON).
void config_seeds() {
  auto object = [](const std::vector<core::ConfigKeyDoc>& docs) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& doc : docs) {
      auto value = nlohmann::json::parse(doc.default_value, nullptr, false);
      if (!value.is_discarded()) {
        out[std::string(doc.name)] = value;
      }
    }
    return out;
  };
  nlohmann::json config = object(core::config_key_docs());
  nlohmann::json listener = object(core::listener_key_docs());
  listener["type"] = "tcp";
  listener["port"] = 1883;
  config["listeners"] = nlohmann::json::array({listener});
  // The cluster's keys that have no JSON default: a name, a cookie (one of
  // the two ways) and the three TLS files.
  nlohmann::json cluster = object(core::cluster_key_docs());
  cluster["node_name"] = "n1";
  cluster["node_id"] = 1;
  cluster["seeds"] = {"127.0.0.1:4371", "n2.example:4370", "[::1]:4372"};
  cluster["cookie"] = "secret";
  nlohmann::json tls = object(core::cluster_tls_key_docs());
  for (const auto& doc : core::cluster_tls_key_docs()) {
    tls[std::string(doc.name)] = "node." + std::string(doc.name);
  }
  cluster["tls"] = tls;
  config["cluster"] = cluster;
  write("config", "all-keys", config.dump(1));
  cluster.erase("cookie");
  cluster.erase("tls");
  cluster["cookie_file"] = "cookie";
  write("config", "cluster-cookie-file", nlohmann::json({{"cluster", cluster}}).dump(1));
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Node-link data frames: one per runtime message type, one body for three
// pids, and a stream of frames and ticks cut into reads.
void dist_frame_seeds() {
  dist::Registry registry;
  dist::add_runtime_types_v1(registry);
  cluster::add_cluster_types_v1(registry);
  Bytes stream = {0x03, 0, 6, 30};  // chunks of 1, 7 and 31 bytes, in turn
  int i = 0;
  std::vector<sched::MessagePtr> samples = dist::test::sample_messages();
  for (sched::MessagePtr& msg : cluster::test::sample_cluster_messages()) {
    samples.push_back(std::move(msg));
  }
  for (const sched::MessagePtr& msg : samples) {
    dist::FrameBuilder builder(registry);
    (void)builder.add(dist::test::local_pid(1), *msg);
    std::string frame = builder.finish().flatten();
    Bytes seed = {0x00};
    seed.insert(seed.end(), frame.begin(), frame.end());
    write("dist_frame", "message-" + std::to_string(i++), seed);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  dist::FrameBuilder builder(registry);
  sched::Pid three[] = {dist::test::local_pid(1), dist::test::local_pid(2), dist::test::local_pid(3)};
  auto body = mqtt::SharedBytes::copy_of(std::string_view("shared payload"));
  (void)builder.add(three, *sched::make_message<dist::Blob>(dist::Blob{1, body}));
  (void)builder.add(dist::test::local_pid(4), *sched::make_message<dist::Blob>(dist::Blob{2, body}));
  Bytes shared = {0x00};
  auto frame = bytes_of(builder.finish().flatten());
  shared.insert(shared.end(), frame.begin(), frame.end());
  write("dist_frame", "shared-body", shared);
  auto tick = bytes_of(dist::tick_frame());
  stream.insert(stream.end(), tick.begin(), tick.end());
  dist::Gossip gossip;
  gossip.port = 4370;
  gossip.members.push_back(dist::Member{dist::NodeInfo{"n2", 2, 7}, "127.0.0.1", 4371});
  gossip.members.push_back(dist::Member{dist::NodeInfo{"n3@host", 3, 8}, "::1", 4372});
  auto g = bytes_of(dist::make_frame(dist::encode_gossip(gossip)));
  Bytes gseed = {0x00};
  gseed.insert(gseed.end(), g.begin(), g.end());
  write("dist_frame", "gossip", gseed);
  stream.insert(stream.end(), g.begin(), g.end());
  write("dist_frame", "stream-chunked", stream);
}

// What the peer of each side sends in a whole handshake with the fuzz
// target's configs (dist_handshake_target.hpp), and its first frame alone.
void dist_handshake_seeds() {
  dist::Initiator initiator(fuzz::dist_handshake_config(true));
  dist::Acceptor acceptor(fuzz::dist_handshake_config(false));
  Bytes to_acceptor = {0x00};
  Bytes to_initiator = {0x10};  // flag bit 0: the target is the initiator
  auto append = [](Bytes& out, const std::vector<std::string>& frames) {
    for (const std::string& f : frames) {
      out.insert(out.end(), f.begin(), f.end());
    }
  };
  dist::Step hello = initiator.start();
  append(to_acceptor, hello.send);
  write("dist_handshake", "acceptor-hello", to_acceptor);
  dist::Step challenge = acceptor.on_frame(hello.send.at(0).substr(dist::frame_prefix_size));
  append(to_initiator, challenge.send);
  write("dist_handshake", "initiator-challenge", to_initiator);
  dist::Step reply = initiator.on_frame(challenge.send.at(0).substr(dist::frame_prefix_size));
  append(to_acceptor, reply.send);
  dist::Step ack = acceptor.on_frame(reply.send.at(0).substr(dist::frame_prefix_size));
  append(to_initiator, ack.send);
  dist::Step done = initiator.on_frame(ack.send.at(0).substr(dist::frame_prefix_size));
  if (!ack.outcome || !done.outcome || !std::holds_alternative<dist::Established>(*ack.outcome) ||
      !std::holds_alternative<dist::Established>(*done.outcome)) {
    std::fprintf(stderr, "make_seeds: the handshake seeds do not establish a link\n");
    std::exit(1);
  }
  write("dist_handshake", "acceptor-whole", to_acceptor);
  write("dist_handshake", "initiator-whole", to_initiator);
  Bytes refused = to_acceptor;
  refused[0] = 0x20;  // flag bit 1: admit() refuses
  write("dist_handshake", "acceptor-not-admitted", refused);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  root = argv[1];
  parser_seeds("parser_v31", mqtt::ProtocolVersion::v3_1);
  parser_seeds("parser_v311", mqtt::ProtocolVersion::v3_1_1);
  parser_seeds("parser_v5", mqtt::ProtocolVersion::v5);
  property_seeds();
  record_seeds();
  session_state_seeds();
  ws_seeds();
  config_seeds();
  dist_frame_seeds();
  dist_handshake_seeds();
  return 0;
}
