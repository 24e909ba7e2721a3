// CONNECT (MQTT 3.1 / 3.1.1 / 5.0 section 3.1): client id rules, session
// takeover, negotiated limits, CONNACK.
#include <algorithm>
#include <atomic>
#include <random>

#include "core/auth/password_file.hpp"
#include "core/logger.hpp"
#include "core/session/channel.hpp"
#include "mqtt/topic.hpp"
#include "mqtt/utf8.hpp"

namespace actormq::core {

using mqtt::ReasonCode;

namespace {
std::string assigned_client_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string id = "actormq-";
  std::uint64_t r = rng();
  for (int i = 0; i < 16; ++i) {
    id.push_back(digits[(r >> (i * 4)) & 15]);
  }
  return id;
}

// Characters of a string the decoder found to be valid UTF-8: its bytes but
// the continuation bytes (10xxxxxx).
std::size_t utf8_characters(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char ch) {
    return (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  }));
}

// The configured Response Information with %c replaced by the client id.
std::string response_information(std::string_view pattern, std::string_view client_id) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 'c') {
      out += client_id;
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}
}  // namespace

void Channel::handle_connect(ChannelHost& host, mqtt::Connect& c) {
  version_ = c.version;
  bridge_ = c.bridge;
  host.set_version(c.version);
  const mqtt::Properties& props = c.properties;
  if (props.request_problem_information) {
    request_problem_info_ = *props.request_problem_information != 0;
  }
  request_response_info_ = props.request_response_information.value_or(0) != 0;
  if (c.version == mqtt::ProtocolVersion::v3_1 && utf8_characters(c.client_id) > 23) {
    // MQTT 3.1, CONNECT payload: the Client Identifier is 1 to 23 characters;
    // a longer one gets CONNACK 2, identifier rejected (3.1.1 lifted this).
    reject(host, ReasonCode::client_identifier_not_valid, "MQTT 3.1 client id longer than 23 characters");
    return;
  }
  if (c.will && mqtt::exceeds_max_levels(c.will->topic, host.limits().max_topic_levels)) {
    // The will is published like a PUBLISH, so its topic is held to the same
    // limit (handle_publish), answered as the decoder answers an invalid will
    // topic: v5 CONNACK 0x90; 3.1.1 has no return code for it and closes.
    host.metrics().add(Counter::malformed);
    ACTORMQ_LOG_NOTICE("connection refused: will topic has more than " << host.limits().max_topic_levels
                                                                       << " levels");
    reject(host, ReasonCode::topic_name_invalid, "will topic has too many levels");
    return;
  }
  if (c.client_id.empty()) {
    // 3.1.1 3.1.3-8: an empty id needs a clean session; 5.0 3.1.3-6: we assign one.
    if (c.version != mqtt::ProtocolVersion::v5 && !c.clean_start) {
      reject(host, ReasonCode::client_identifier_not_valid, "empty client id needs a clean session");
      return;
    }
    c.client_id = assigned_client_id();
    assigned_id_ = c.version == mqtt::ProtocolVersion::v5;
  }
  if (std::optional<std::string> elsewhere = host.evacuating()) {
    // The node is being evacuated (core/evacuation.hpp): nobody new stays.
    if (v5()) {
      mqtt::Connack ack;
      ack.reason_code = ReasonCode::use_another_server;
      if (!elsewhere->empty()) {
        ack.properties.server_reference = std::move(*elsewhere);
      }
      send_packet(host, ack);
      connection_lost(host, false);
    } else {
      reject(host, ReasonCode::server_unavailable, "the node is being evacuated");  // 3.1.1: return code 3
    }
    return;
  }
  if (!host.limits().server_reference.empty() && v5()) {
    // Redirection (MQTT 5 4.11): this server sends clients elsewhere.
    mqtt::Connack ack;
    ack.reason_code = ReasonCode::use_another_server;
    ack.properties.server_reference = host.limits().server_reference;
    send_packet(host, ack);
    connection_lost(host, false);
    return;
  }
  if (props.authentication_method) {
    start_enhanced_auth(host, c);  // CONNACK, or the first AUTH of the exchange
    return;
  }
  if (auto refused = check_credentials(host, c)) {
    refuse_auth(host, *refused, *refused == ReasonCode::not_authorized ? "anonymous clients are not allowed"
                                                                 : "bad user name or password");
    return;
  }
  host.metrics().add(Counter::auth_successes);
  accept_connect(host, c);
}

std::optional<ReasonCode> Channel::check_credentials(ChannelHost& host, const mqtt::Connect& c) {
  const ListenerSecurity& security = *this->security(host);
  if (const HostAuth* hooks = security.host_auth(); hooks != nullptr && hooks->authenticate) {
    // The embedding program decides first (core/auth/host_auth.hpp); defer: the rules below.
    std::string identity = host.peer_identity();
    HostDecision d = hooks->authenticate(HostConnect{c.client_id, c.username ? &*c.username : nullptr,
                                                     c.password ? &*c.password : nullptr, identity});
    if (d == HostDecision::deny) {
      return ReasonCode::bad_user_name_or_password;
    }
    if (d == HostDecision::allow) {
      if (security.use_identity_as_username && !identity.empty() && mqtt::is_valid_mqtt_utf8(identity)) {
        username_ = std::make_unique<std::string>(std::move(identity));
      }
      return std::nullopt;
    }
  }
  if (security.use_identity_as_username) {
    // mosquitto: the client certificate's Common Name, or the PSK identity,
    // is the username; the CONNECT's credentials are ignored. No identity,
    // or one that is no MQTT UTF-8 string (MQTT-1.5.4-1): refused.
    std::string identity = host.peer_identity();
    if (identity.empty() || !mqtt::is_valid_mqtt_utf8(identity)) {
      return ReasonCode::bad_user_name_or_password;
    }
    username_ = std::make_unique<std::string>(std::move(identity));
    return std::nullopt;
  }
  if (!c.username) {
    if (!security.allow_anonymous) {
      return ReasonCode::not_authorized;
    }
    return std::nullopt;
  }
  if (!security.checks_passwords()) {
    return std::nullopt;  // a username without a password file is trusted (mosquitto)
  }
  auto passwords = security.passwords();
  // Verified even without a password, so that the refusal takes as long.
  PasswordCheck result = passwords->check(*c.username, c.password.value_or(std::string{}));
  if (result == PasswordCheck::ok && c.password) {
    return std::nullopt;
  }
  // 3.1.1 return code 4 / v5 0x86. mosquitto 2.0 answers 5 / 0x87 (not
  // authorized); the specific code tells an operator's client what to fix.
  return ReasonCode::bad_user_name_or_password;
}

void Channel::refuse_auth(ChannelHost& host, ReasonCode code, std::string_view reason) {
  host.metrics().add(Counter::auth_failures);
  ACTORMQ_LOG_NOTICE("connection refused: " << reason);
  if (rare_) {
    rare_->auth.reset();
  }
  reject(host, code, reason);
}

void Channel::accept_connect(ChannelHost& host, mqtt::Connect& c) {
  const mqtt::Properties& props = c.properties;
  client_id_ = ClientId(c.client_id);
  if (!security(host)->use_identity_as_username && auth() == nullptr) {
    username_ = c.username ? std::make_unique<std::string>(std::move(*c.username)) : nullptr;
  }
  clean_start_ = c.clean_start;
  keepalive_s_ = c.keep_alive;
  if (c.will) {
    session_.will = std::make_unique<mqtt::Will>(std::move(*c.will));
  }
  if (v5()) {
    session_expiry_s_ = props.session_expiry_interval.value_or(0);
    client_receive_max_ = props.receive_maximum.value_or(65535);
    client_max_packet_ = props.maximum_packet_size.value_or(268435460);
    client_alias_max_ = props.topic_alias_maximum.value_or(0);
    if (host.limits().server_keep_alive != 0) {
      keepalive_s_ = host.limits().server_keep_alive;
      server_keep_alive_ = true;
    } else if (keepalive_s_ > host.limits().max_keepalive ||
               (keepalive_s_ == 0 && host.limits().max_keepalive < 65535)) {
      keepalive_s_ = host.limits().max_keepalive;
      server_keep_alive_ = true;
    }
  } else {
    // 3.1.1: a clean session ends with the connection; otherwise it persists.
    session_expiry_s_ = clean_start_ ? 0 : 0xFFFFFFFFu;
  }
  session_expiry_s_ = std::min(session_expiry_s_, host.limits().session_expiry_max);

  std::optional<sched::Pid> old = host.claim_client_id(client_id_, true);
  if (!old) {
    // One client id, one session, cluster-wide: a session of it on another
    // node is taken over as a local one is (its node ends it for a clean start).
    old = host.find_remote_session(client_id_.str());
  }
  if (old && *old != host.pid()) {
    auto user = username_ ? std::make_shared<const std::string>(*username_) : nullptr;
    bool asked = host.send_takeover(*old, Takeover{host.pid(), clean_start_, std::move(user)});
    if (asked && clean_start_ && host.store() != nullptr) {
      store_reset(host);  // the previous session, stored or not, is discarded (3.1.2.4)
    }
    if (asked && !clean_start_) {
      // Wait for the previous session's state before CONNACK (session present).
      state_ = State::awaiting_handover;
      rare().previous = *old;
      host.monitor(*old);
      return;
    }
  }
  finish_connect(host, false);
}

void Channel::finish_connect(ChannelHost& host, bool session_present) {
  host.cancel_connect_timer();
  mqtt::Connack ack;
  ack.session_present = session_present && !clean_start_;
  if (v5()) {
    mqtt::Properties& p = ack.properties;
    if (EnhancedAuth* exchange = auth()) {
      // MQTT 5 3.2.2.3.17/18: the method's last word (SCRAM: the server signature).
      p.authentication_method = std::string(scram_sha256_method);  // the one method built in
      p.authentication_data = std::move(exchange->server_final);
      rare_->auth.reset();
    }
    if (assigned_id_) {
      p.assigned_client_identifier = client_id_.str();
    }
    if (request_response_info_ && !host.limits().response_information.empty()) {
      // MQTT 5 3.2.2.3.15: sent only when asked for; what it means is ours to say.
      p.response_information = response_information(host.limits().response_information, client_id_);
    }
    if (server_keep_alive_) {
      p.server_keep_alive = keepalive_s_;
    }
    if (session_expiry_s_ != 0 && session_expiry_s_ == host.limits().session_expiry_max) {
      p.session_expiry_interval = session_expiry_s_;
    }
    p.receive_maximum = host.limits().receive_maximum;
    p.topic_alias_maximum = host.limits().topic_alias_maximum;
    p.maximum_packet_size = host.limits().max_packet_size;
    if (!host.limits().retain_available) {
      p.retain_available = 0;
    }
    if (!host.limits().wildcard_subscription_available) {
      p.wildcard_subscription_available = 0;
    }
    if (!host.limits().shared_subscription_available) {
      p.shared_subscription_available = 0;
    }
    if (!host.limits().subscription_identifiers_available) {
      p.subscription_identifier_available = 0;
    }
  }
  if (persistent(host)) {
    if (!ack.session_present) {
      store_reset(host);  // whatever was stored under this client id is gone
    }
    store_record(host, 0);
  }
  if (state_ == State::awaiting_handover) {
    store_handover_queue(host);  // before drain_queue numbers in-flight entries from it
  }
  send_packet(host, ack);
  state_ = State::connected;
  ++generation_;
  counted_connected_ = true;
  host.metrics().add(Counter::clients_connected, 1);
  host.metrics().add(Counter::connects, 1);
  arm_keepalive(host);
  ACTORMQ_LOG_DEBUG("client " << client_id_ << " connected (user " << (username_ ? *username_ : "-")
                              << ", protocol level "
                              << static_cast<int>(version_) << ", clean " << clean_start_
                              << ", keepalive " << keepalive_s_ << ")");
  // MQTT 4.4: unacknowledged messages are resent, with DUP, before new ones.
  resend_inflight(host);
  drain_queue(host);
}

void Channel::adopt(ChannelHost& host, SessionState state, bool present) {
  if (state_ != State::awaiting_handover) {
    return;
  }
  sched::Pid previous = rare().previous;
  rare().previous = sched::Pid{};
  // What reached us while we waited came through the routes the old session
  // moved to us, and it handed over only once every router had moved them:
  // it is newer than everything in the state, and goes after its queue.
  LazyList<Deliver> early = std::move(session_.queue);
  std::unique_ptr<mqtt::Will> will = std::move(session_.will);  // our CONNECT's, not the old connection's
  session_ = std::move(state);
  session_.queue.append(std::move(early));
  rare_->queue_without_qos0 = false;  // a queue of another session's
  if (!rare_->adopting) {
    session_.will = std::move(will);  // an adopted session keeps its own (evacuate.cpp)
  }
  if (std::unique_ptr<Takeover> newer = std::move(rare_->superseded_by)) {
    // Taken over while we waited: the state goes on, as an offline session's
    // would (its routes lead here now; the newer session moves them on).
    state_ = State::offline;
    if (present && previous.valid() && previous.node() != host.pid().node()) {
      // From another node, whose session keeps its routes and queues what
      // they bring until it is released: we take the routes and release
      // it, and hand on once its tail is here (on_handover_tail, or its end).
      // The directory names the newer connection by now: the successor of
      // the session we asked, if the state came from there, is the claim before.
      for (const auto& [full, sub] : session_.subscriptions) {
        add_route(host, full, sub);
      }
      host.metrics().add(Counter::subscriptions, static_cast<std::int64_t>(session_.subscriptions.size()));
      const sched::Pid newer_by = newer->by;
      rare_->superseded_by = std::move(newer);
      rare_->tail_from = previous;
      if (std::optional<sched::Pid> also = release_remote_previous(host, previous, newer_by)) {
        rare_->tail_also = *also;
        host.monitor(*also);
      }
      return;
    }
    handle_takeover(host, *newer);
    return;
  }
  if (rare_->adopting) {
    settle_adopted(host, previous);  // no connection: it stays offline here
    return;
  }
  if (host.store() != nullptr && !persistent(host)) {
    // Continues without a session expiry: nothing stored may outlive it,
    // neither its own state nor a session it did not get (another user's).
    store_reset(host);
  }
  const bool from_node = present && previous.valid() && previous.node() != host.pid().node();
  for (const auto& [full, sub] : session_.subscriptions) {
    add_route(host, full, sub);
  }
  if (from_node) {
    // Counted on its node until now; its in-flight window is stored here as
    // its queue is (store_handover_queue), its node's copy is gone.
    host.metrics().add(Counter::subscriptions, static_cast<std::int64_t>(session_.subscriptions.size()));
  }
  finish_connect(host, present);
  if (from_node) {
    if (stored_) {
      for (auto& [id, f] : session_.inflight) {
        store_inflight(host, id, f);
      }
    }
    // Its routes go only once every node has ours: nothing is routed to neither.
    release_remote_previous(host, previous);
  }
  if (!host.connection_open()) {
    connection_lost(host, true);  // the client left while we waited
    return;
  }
  (void)host.replay_input();
  host.want_input();
}

}  // namespace actormq::core
