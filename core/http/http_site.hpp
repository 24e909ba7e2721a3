#pragma once
// What the connections of one http/https listener share: the users who may
// change things, whether /metrics needs a user, the node's name, and every
// listener of the broker for the `listeners` resource. Thread-safe: built by
// the Broker before the listeners accept, read-only afterwards but for the
// listeners list, which is filled once all are bound (before StartAccepting
// is sent) and replaced whole by a reload that opens or closes listeners.

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/listen/listener_shared.hpp"
#include "net/http_request.hpp"

namespace actormq::core {

/// One listener of the broker, as the API reports it.
struct ListenerView {
  std::string type;  ///< "tcp", "tls", "ws", "wss", "http", "https"
  std::string bind;
  std::uint16_t port = 0;  ///< the bound port
  std::int64_t max_connections = -1;
  std::shared_ptr<const ListenerShared> shared;  ///< its open-connection count
};

struct HttpSite {
  std::set<std::string> admin_users;
  bool metrics_auth = false;
  std::string node;                ///< this node's name (cluster.node_name, or actormq@host)
  std::uint64_t started_ms = 0;    ///< wall clock at start
  std::uint16_t security_index = 0;  ///< this listener's password file (Security::listener)
  net::HttpLimits limits;
  std::uint32_t request_timeout_ms = 10000;  ///< a started request must be complete within this
  std::uint32_t idle_timeout_ms = 60000;     ///< a kept-alive connection may wait this long for the next
  std::uint32_t gather_timeout_ms = 2000;    ///< sessions that have not answered by then are left out
  std::uint32_t run_timeout_ms = 30000;      ///< a Run (a reload) not done by then is answered 503
  std::atomic<std::shared_ptr<const std::vector<ListenerView>>> listeners;
};

}  // namespace actormq::core
