// Enhanced authentication (MQTT 5 section 4.12): the AUTH exchange between
// CONNECT and CONNACK. Built in: SCRAM-SHA-256 (core/scram.hpp) when
// scram_file is set; any other method gets CONNACK 0x8C.
// Re-authentication (AUTH 0x19 after CONNACK) is not supported: it ends the
// connection with DISCONNECT 0x82 (protocol error), like an AUTH that was
// never asked for.
#include "core/logger.hpp"
#include "core/session.hpp"

namespace actormq::core {

using mqtt::ReasonCode;

void Session::start_enhanced_auth(mqtt::Connect& c) {
  const std::string method = *c.properties.authentication_method;  // a copy: `c` is moved below
  auto users = ctx_.security->scram();
  if (method != scram_sha256_method || !users) {
    refuse_auth(ReasonCode::bad_authentication_method, "authentication method " + method + " not supported");
    return;
  }
  EnhancedAuth& exchange = *(rare().auth = std::make_unique<EnhancedAuth>());
  ScramServer::Step step = exchange.scram.start(c.properties.authentication_data.value_or(std::string{}), *users);
  if (step.kind != ScramServer::Step::Kind::next) {
    refuse_auth(ReasonCode::not_authorized, "SCRAM: " + step.reason);
    return;
  }
  exchange.connect = std::move(c);
  state_ = State::authenticating;
  mqtt::Auth challenge;
  challenge.reason_code = ReasonCode::continue_authentication;
  challenge.properties.authentication_method = method;
  challenge.properties.authentication_data = std::move(step.data);
  send_packet(challenge);
}

void Session::handle_auth(const mqtt::Auth& a) {
  EnhancedAuth* exchange = auth();
  if (state_ != State::authenticating || exchange == nullptr) {
    ctx_.metrics.add(Counter::malformed);
    reject(ReasonCode::protocol_error, "AUTH without an authentication exchange");
    return;
  }
  // MQTT 5 section 4.12: each AUTH carries the CONNECT's method, and the
  // client continues with 0x18.
  if (a.reason_code != ReasonCode::continue_authentication ||
      a.properties.authentication_method != exchange->connect.properties.authentication_method) {
    ctx_.metrics.add(Counter::malformed);
    refuse_auth(ReasonCode::protocol_error, "AUTH must continue the CONNECT's authentication method");
    return;
  }
  ScramServer::Step step = exchange->scram.finish(a.properties.authentication_data.value_or(std::string{}));
  if (step.kind != ScramServer::Step::Kind::success) {
    refuse_auth(ReasonCode::not_authorized, "SCRAM: " + step.reason);
    return;
  }
  exchange->server_final = std::move(step.data);
  username_ = std::make_unique<std::string>(exchange->scram.username());
  mqtt::Connect connect = std::move(exchange->connect);
  state_ = State::awaiting_connect;  // accept_connect continues as after a plain CONNECT
  accept_connect(connect);
}

}  // namespace actormq::core
