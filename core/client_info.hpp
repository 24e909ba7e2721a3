#pragma once
// What a session tells about its client when the HTTP API asks (core/http/):
// the asking process sends ClientInfoQuery to the session's pid and gets a
// ClientInfoReply back, so a listing never reads another process's state
// nor blocks a scheduler. Kick ends a client's connection on an operator's
// request.

#include <cstdint>
#include <string>
#include <vector>

#include "sched/pid.hpp"

namespace actormq::core {

/// One subscription of a client, as the API shows it.
struct ClientSubscription {
  std::string topic;  ///< the filter as subscribed, with any "$share/group/" prefix
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint32_t subscription_id = 0;  ///< 0: none
};

struct ClientInfo {
  std::string client_id;
  std::string username;       ///< empty with has_username false: anonymous
  bool has_username = false;
  bool connected = false;     ///< false: a persistent session waiting offline
  std::uint8_t proto_ver = 4;  ///< 3 (3.1), 4 (3.1.1), 5
  std::string peer;           ///< "address:port" while connected
  std::string transport;      ///< "tcp", "tls", "ws", "wss" while connected
  std::string listener;       ///< the accepting listener, "tcp 127.0.0.1:1883"
  std::uint16_t keepalive = 0;      ///< seconds
  bool clean_start = true;
  std::uint32_t expiry_interval = 0;  ///< session expiry, seconds
  std::size_t subscriptions_cnt = 0;
  std::size_t inflight_cnt = 0;  ///< outgoing QoS 1/2 messages not yet acknowledged
  std::size_t mqueue_len = 0;    ///< messages queued for the client
  std::vector<ClientSubscription> subscriptions;  ///< only when the query asked for them
};

/// To a session: answer `reply_to` with a ClientInfoReply carrying `tag`.
struct ClientInfoQuery {
  sched::Pid reply_to;
  std::uint64_t tag = 0;
  bool with_subscriptions = false;
};

struct ClientInfoReply {
  std::uint64_t tag = 0;
  ClientInfo info;
};

/// To a session: an operator ends the client's connection (v5: DISCONNECT
/// 0x98, administrative action) and the session with it, as EMQX's kick does.
struct Kick {};

}  // namespace actormq::core
