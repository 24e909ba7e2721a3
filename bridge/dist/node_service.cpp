#include "bridge/dist/node_service.hpp"

#include "bridge/dist/runtime_proto_v1.hpp"
#include "core/broker_context.hpp"
#include "core/config/cluster.hpp"
#include "core/logger.hpp"
#include "net/tls_context.hpp"

namespace actormq::dist {

core::Result<NodeConfig> node_config(const core::ClusterConfig& cluster, std::string cookie) {
  NodeConfig c;
  if (cluster.tls) {
    // Mutual TLS: both ends present a certificate from the cluster's CA.
    net::TlsOptions server;
    server.certfile = cluster.tls->certfile;
    server.keyfile = cluster.tls->keyfile;
    server.cafile = cluster.tls->cafile;
    server.require_certificate = true;
    auto made = net::TlsContext::create(server);
    if (!made.context) {
      return core::Failure{"cluster.tls: " + made.error};
    }
    c.tls_server = std::move(made.context);
    net::TlsClientOptions client;
    client.cafile = cluster.tls->cafile;
    client.certfile = cluster.tls->certfile;
    client.keyfile = cluster.tls->keyfile;
    auto dialer = net::TlsClientContext::create(client);
    if (!dialer.context) {
      return core::Failure{"cluster.tls: " + dialer.error};
    }
    c.tls_client = std::move(dialer.context);
  }
  c.self = NodeInfo{cluster.node_name, cluster.resolved_node_id(), 0};
  c.cookie = std::move(cookie);
  c.bind = cluster.bind;
  c.port = static_cast<std::uint16_t>(cluster.port);
  c.heartbeat_ms = static_cast<std::uint32_t>(cluster.heartbeat_ms);
  c.node_down_after_ms = static_cast<std::uint32_t>(cluster.node_down_after_ms);
  for (const std::string& text : cluster.seeds) {
    auto seed = core::parse_seed(text);
    if (!seed) {
      return std::move(seed).error().prefixed("cluster.seeds: ");
    }
    c.seeds.push_back(Endpoint{seed->host, seed->port});
  }
  return c;
}

NodeService::NodeService(core::ClusterConfig cluster) : cluster_(std::move(cluster)) {
  add_runtime_types_v1(registry_);
}

NodeService::~NodeService() { stop(); }

core::Status NodeService::start(core::BrokerContext& ctx, sched::Runtime& runtime) {
  auto config = node_config(cluster_, ctx.cluster_cookie);
  if (!config) {
    return std::move(config).error();
  }
  if (config->self.id != runtime.node()) {
    return core::Failure{"cluster.node_id: the runtime runs as node " + std::to_string(runtime.node()) +
                         ", not " + std::to_string(config->self.id)};
  }
  node_ = std::make_unique<Node>(runtime, registry_, std::move(*config));
  auto port = node_->start();
  if (!port) {
    node_.reset();
    return std::move(port).error();
  }
  const NodeConfig& c = node_->config();
  ACTORMQ_LOG_NOTICE("cluster node " << c.self.name << " (id " << c.self.id << ", incarnation "
                                     << c.self.incarnation << ") accepts node links" << (c.tls_server ? " over TLS" : "")
                                     << " on " << c.bind << ":" << *port
                                     << "; " << c.seeds.size() << " seed(s)");
  return mqtt::Ok{};
}

void NodeService::stop() {
  if (node_) {
    node_->stop();
    node_.reset();
  }
}

}  // namespace actormq::dist
