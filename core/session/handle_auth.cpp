// Enhanced authentication (MQTT 5 section 4.12): the AUTH exchange between
// CONNECT and CONNACK, and re-authentication after it (4.12.1: AUTH 0x19,
// the same exchange, ending with AUTH 0x00; the user must stay the same).
// Built in: SCRAM-SHA-256 (core/auth/scram.hpp) on listeners with SCRAM users
// (Config::scram_file_for); elsewhere, or with any other method, CONNACK
// 0x8C. An AUTH without an exchange to belong to (no method at CONNECT, or
// out of order) is a protocol error (0x82).
#include "core/logger.hpp"
#include "core/session/channel.hpp"

namespace actormq::core {

using mqtt::ReasonCode;

void Channel::start_enhanced_auth(ChannelHost& host, mqtt::Connect& c) {
  const std::string method = *c.properties.authentication_method;  // a copy: `c` is moved below
  auto users = security(host)->scram();  // the accepting listener's: its rules, not the top level's
  if (method != scram_sha256_method || !users) {
    refuse_auth(host, ReasonCode::bad_authentication_method, "authentication method " + method + " not supported");
    return;
  }
  EnhancedAuth& exchange = *(rare().auth = std::make_unique<EnhancedAuth>());
  ScramServer::Step step = exchange.scram.start(c.properties.authentication_data.value_or(std::string{}), *users);
  if (step.kind != ScramServer::Step::Kind::next) {
    refuse_auth(host, ReasonCode::not_authorized, "SCRAM: " + step.reason);
    return;
  }
  exchange.connect = std::move(c);
  state_ = State::authenticating;
  mqtt::Auth challenge;
  challenge.reason_code = ReasonCode::continue_authentication;
  challenge.properties.authentication_method = method;
  challenge.properties.authentication_data = std::move(step.data);
  send_packet(host, challenge);
}

void Channel::handle_auth(ChannelHost& host, const mqtt::Auth& a) {
  if (state_ == State::connected) {
    handle_reauth(host, a);
    return;
  }
  EnhancedAuth* exchange = auth();
  if (state_ != State::authenticating || exchange == nullptr) {
    host.metrics().add(Counter::malformed);
    reject(host, ReasonCode::protocol_error, "AUTH without an authentication exchange");
    return;
  }
  // MQTT 5 section 4.12: each AUTH carries the CONNECT's method, and the
  // client continues with 0x18.
  if (a.reason_code != ReasonCode::continue_authentication ||
      a.properties.authentication_method != exchange->connect.properties.authentication_method) {
    host.metrics().add(Counter::malformed);
    refuse_auth(host, ReasonCode::protocol_error, "AUTH must continue the CONNECT's authentication method");
    return;
  }
  ScramServer::Step step = exchange->scram.finish(a.properties.authentication_data.value_or(std::string{}));
  if (step.kind != ScramServer::Step::Kind::success) {
    refuse_auth(host, ReasonCode::not_authorized, "SCRAM: " + step.reason);
    return;
  }
  exchange->server_final = std::move(step.data);
  username_ = std::make_unique<std::string>(exchange->scram.username());
  rare_->enhanced_auth = true;  // re-authentication may follow
  host.metrics().add(Counter::auth_successes);
  mqtt::Connect connect = std::move(exchange->connect);
  state_ = State::awaiting_connect;  // accept_connect continues as after a plain CONNECT
  accept_connect(host, connect);
}

void Channel::handle_reauth(ChannelHost& host, const mqtt::Auth& a) {
  auto protocol_error = [this, &host](std::string_view why) {
    host.metrics().add(Counter::malformed);
    reject(host, ReasonCode::protocol_error, why);
  };
  if (!rare_ || !rare_->enhanced_auth) {
    protocol_error("AUTH without an authentication exchange");
    return;
  }
  if (a.properties.authentication_method != scram_sha256_method) {
    protocol_error("AUTH must use the CONNECT's authentication method");
    return;
  }
  EnhancedAuth* exchange = auth();
  if (a.reason_code == ReasonCode::re_authenticate && exchange == nullptr) {
    auto users = security(host)->scram();
    exchange = (rare_->auth = std::make_unique<EnhancedAuth>()).get();
    ScramServer::Step step = users ? exchange->scram.start(a.properties.authentication_data.value_or(""), *users)
                                   : ScramServer::Step{ScramServer::Step::Kind::failure, {}, "no SCRAM users"};
    if (step.kind != ScramServer::Step::Kind::next) {
      reauth_failed(host, "SCRAM: " + step.reason);
      return;
    }
    send_auth(host, ReasonCode::continue_authentication, std::move(step.data));
    return;
  }
  if (a.reason_code != ReasonCode::continue_authentication || exchange == nullptr) {
    protocol_error("AUTH out of sequence");
    return;
  }
  ScramServer::Step step = exchange->scram.finish(a.properties.authentication_data.value_or(""));
  if (step.kind != ScramServer::Step::Kind::success) {
    reauth_failed(host, "SCRAM: " + step.reason);
    return;
  }
  if (!username_ || exchange->scram.username() != *username_) {
    reauth_failed(host, "re-authentication as another user");
    return;
  }
  rare_->auth.reset();
  send_auth(host, ReasonCode::success, std::move(step.data));
}

void Channel::send_auth(ChannelHost& host, ReasonCode code, std::string data) {
  mqtt::Auth out;
  out.reason_code = code;
  out.properties.authentication_method = std::string(scram_sha256_method);
  out.properties.authentication_data = std::move(data);
  send_packet(host, out);
}

void Channel::reauth_failed(ChannelHost& host, std::string_view reason) {
  // MQTT 5 4.12.1: a failed re-authentication ends the connection (DISCONNECT 0x87).
  host.metrics().add(Counter::auth_failures);
  ACTORMQ_LOG_NOTICE("client " << client_id_ << ": re-authentication failed: " << reason);
  rare_->auth.reset();
  reject(host, ReasonCode::not_authorized, reason);
}

}  // namespace actormq::core
