// What the HTTP API shows of a client (core/client_info.hpp): read from the
// channel by its own process, on a ClientInfoQuery.
#include <algorithm>

#include "core/session/channel.hpp"

namespace actormq::core {

ClientInfo Channel::describe(bool with_subscriptions) const {
  ClientInfo info;
  info.client_id = client_id_.str();
  if (username_) {
    info.username = *username_;
    info.has_username = true;
  }
  info.connected = state_ == State::connected;
  info.proto_ver = static_cast<std::uint8_t>(version_);
  info.keepalive = keepalive_s_;
  info.clean_start = clean_start_;
  info.expiry_interval = session_expiry_s_;
  info.subscriptions_cnt = session_.subscriptions.size();
  info.inflight_cnt = session_.inflight.size();
  info.mqueue_len = session_.queue.size();
  if (with_subscriptions) {
    for (const auto& [full_filter, sub] : session_.subscriptions) {
      info.subscriptions.push_back(ClientSubscription{full_filter.str(), static_cast<std::uint8_t>(sub.info.max_qos),
                                                      sub.info.no_local, sub.info.retain_as_published,
                                                      sub.info.subscription_id});
    }
    std::sort(info.subscriptions.begin(), info.subscriptions.end(),
              [](const ClientSubscription& a, const ClientSubscription& b) { return a.topic < b.topic; });
  }
  return info;
}

}  // namespace actormq::core
