#include "bridge/mqtt/bridge_service.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "core/broker_context.hpp"
#include "core/config/cluster.hpp"
#include "core/config/config.hpp"
#include "core/logger.hpp"
#include "persist/writer.hpp"
#include "sched/runtime.hpp"

namespace actormq::bridge {

core::Result<std::shared_ptr<const BridgeSetup>> bridge_setup(const core::BridgeConfig& config, std::size_t index,
                                                              std::shared_ptr<BridgeCounters> counters) {
  const std::string key = "bridges[" + std::to_string(index) + "].";
  if (!counters) {
    counters = std::make_shared<BridgeCounters>();
  }
  auto setup = std::make_shared<BridgeSetup>(
      BridgeSetup{config, {}, nullptr, TopicMap(config.topics), std::move(counters)});
  for (const std::string& text : config.endpoints()) {
    auto endpoint = core::parse_seed(text);
    if (!endpoint) {
      return std::move(endpoint).error().prefixed(key + "address: ");
    }
    setup->endpoints.push_back(std::move(*endpoint));
  }
  if (setup->endpoints.empty()) {
    return core::Failure{key + "address: required"};
  }
  if (config.tls) {
    net::TlsClientOptions o;
    o.cafile = config.tls->cafile;
    o.certfile = config.tls->certfile;
    o.keyfile = config.tls->keyfile;
    o.keyfile_password = config.tls->keyfile_password;
    if (o.keyfile_password.empty()) {
      // As for listeners (core/listen/listener.cpp): secrets may stay out of the file.
      if (const char* password = std::getenv("ACTORMQ_KEYFILE_PASSWORD")) {
        o.keyfile_password = password;
      }
    }
    o.crlfile = config.tls->crlfile;
    o.psk = config.tls->psk;
    o.psk_identity = config.tls->psk_identity;
    o.insecure = config.tls->insecure;
    auto made = net::TlsClientContext::create(o);
    if (!made.context) {
      return core::Failure{key + "tls: " + made.error};
    }
    setup->tls = std::move(made.context);
  }
  return std::shared_ptr<const BridgeSetup>(std::move(setup));
}

core::SysSources::Topics bridge_sys_topics(const BridgeStats& stats) {
  const BridgeCounters& c = *stats.counters;
  const std::string base = "$SYS/broker/bridge/" + stats.name + "/";
  auto n = [](const std::atomic<std::uint64_t>& v) { return std::to_string(v.load(std::memory_order_relaxed)); };
  return {
      {base + "messages/received", n(c.messages_in)},
      {base + "messages/sent", n(c.messages_out)},
      {base + "messages/dropped", n(c.dropped)},
      {base + "buffered/messages", n(c.buffered)},
      {base + "buffered/bytes", n(c.buffered_bytes)},
      {base + "state", std::string(c.state_name())},
  };
}

std::vector<core::BridgeView> BridgeService::bridge_views() const {
  std::lock_guard lock(mu_);
  std::vector<core::BridgeView> out;
  for (std::size_t i = 0; i < bridges_.size(); ++i) {
    const BridgeCounters& c = *counters_[i];
    auto n = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
    core::BridgeView v;
    v.name = bridges_[i].name;
    v.type = "mqtt";
    std::vector<std::string> endpoints = bridges_[i].endpoints();
    v.remote = endpoints.empty() ? std::string() : endpoints.front();
    v.enabled = c.enabled.load(std::memory_order_relaxed);
    v.state = std::string(c.state_name());
    v.messages_received = n(c.messages_in);
    v.messages_sent = n(c.messages_out);
    v.messages_dropped = n(c.dropped);
    v.buffered_messages = n(c.buffered);
    v.buffered_bytes = n(c.buffered_bytes);
    out.push_back(std::move(v));
  }
  return out;
}

bool BridgeService::set_bridge_enabled(std::string_view name, bool enabled) {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < bridges_.size(); ++i) {
    if (bridges_[i].name == name) {
      counters_[i]->enabled.store(enabled, std::memory_order_relaxed);
      // Called with the controls' lock held, which stop() takes first: the
      // runtime and links_ are still ours.
      runtime_->send<BridgeEnable>(links_[i], BridgeEnable{enabled});
      return true;
    }
  }
  return false;
}

std::vector<BridgeStats> BridgeService::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

BridgeService::BridgeService(std::vector<core::BridgeConfig> bridges, std::string config_file)
    : config_file_(std::move(config_file)), bridges_(std::move(bridges)) {
  for (const core::BridgeConfig& b : bridges_) {
    counters_.push_back(std::make_shared<BridgeCounters>());
    stats_.push_back(BridgeStats{b.name, counters_.back()});
  }
}

BridgeService::~BridgeService() { stop(); }

core::Status BridgeService::start(core::BrokerContext& ctx, sched::Runtime& runtime) {
  // Every bridge's files first: a start that fails leaves nothing running.
  std::vector<std::shared_ptr<const BridgeSetup>> setups;
  for (std::size_t i = 0; i < bridges_.size(); ++i) {
    auto setup = bridge_setup(bridges_[i], i, counters_[i]);
    if (!setup) {
      return std::move(setup).error();
    }
    setups.push_back(std::move(*setup));
  }
  runtime_ = &runtime;
  ctx_ = &ctx;
  report_unconfigured();
  watch_stats();
  for (auto& setup : setups) {
    links_.push_back(start_link(std::move(setup)));
  }
  control_id_ = ctx.bridges.add(this);
  return mqtt::Ok{};
}

sched::Pid BridgeService::start_link(std::shared_ptr<const BridgeSetup> setup, sched::Pid predecessor) {
  const core::BridgeConfig& c = setup->config;
  if (setup->tls && setup->tls->insecure()) {
    ACTORMQ_LOG_WARNING("bridge " << c.name << ": tls.insecure is set: the remote's certificate is not verified");
  }
  ACTORMQ_LOG_NOTICE("bridge " << c.name << ": to " << c.endpoints().front()
                               << (c.endpoints().size() > 1 ? " (and fallbacks)" : "") << (setup->tls ? " over TLS" : "")
                               << ", " << c.topics.size() << " topic(s)");
  sched::SpawnOptions o;
  o.pinned = true;
  o.start = true;
  sched::Pid pid = runtime_->spawn(std::make_unique<BridgeLink>(*ctx_, std::move(setup), predecessor), o);
  if (serving_.load()) {
    (void)runtime_->send<BridgeServe>(pid);  // added by a reload: the broker serves already
  }
  return pid;
}

void BridgeService::serving() {
  serving_.store(true);
  std::lock_guard lock(mu_);
  for (sched::Pid pid : links_) {
    (void)runtime_->send<BridgeServe>(pid);
  }
}

void BridgeService::watch_stats() {
  if (sys_source_ != 0) {
    ctx_->sys_sources.remove(sys_source_);
  }
  sys_source_ = ctx_->sys_sources.add([stats = stats()] {
    core::SysSources::Topics all;
    for (const BridgeStats& s : stats) {
      core::SysSources::Topics some = bridge_sys_topics(s);
      all.insert(all.end(), some.begin(), some.end());
    }
    return all;
  });
}

core::Status BridgeService::reload() {
  if (config_file_.empty() || runtime_ == nullptr) {
    return mqtt::Ok{};
  }
  core::Result<core::Config> fresh = core::load_config(config_file_);
  if (!fresh) {
    return std::move(fresh).error();
  }
  return apply(std::move(fresh->bridges));
}

core::Status BridgeService::apply(std::vector<core::BridgeConfig> bridges) {
  auto old_index = [this](const std::string& name) -> std::optional<std::size_t> {
    for (std::size_t j = 0; j < bridges_.size(); ++j) {
      if (bridges_[j].name == name) {
        return j;
      }
    }
    return std::nullopt;
  };
  // The setups of the new and changed bridges first: a bad file changes nothing.
  std::vector<std::optional<std::size_t>> kept(bridges.size());
  std::vector<std::optional<std::size_t>> replaced(bridges.size());  // a changed bridge's old index
  std::vector<std::shared_ptr<const BridgeSetup>> setups(bridges.size());
  std::vector<bool> staying(bridges_.size(), false);
  for (std::size_t i = 0; i < bridges.size(); ++i) {
    std::optional<std::size_t> j = old_index(bridges[i].name);
    if (j) {
      staying[*j] = true;
    }
    if (j && bridges_[*j] == bridges[i]) {
      kept[i] = j;
      continue;
    }
    replaced[i] = j;
    // A changed bridge keeps its counters (its totals go on); it is enabled
    // again, as at a restart: the configuration decides.
    auto setup = bridge_setup(bridges[i], i, j ? counters_[*j] : nullptr);
    if (!setup) {
      return std::move(setup).error();
    }
    setups[i] = std::move(*setup);
  }
  std::vector<sched::Pid> ending;
  for (std::size_t j = 0; j < bridges_.size(); ++j) {
    if (!staying[j]) {
      ACTORMQ_LOG_NOTICE("bridge " << bridges_[j].name
                                   << ": removed from the configuration; stopping (the messages it holds for its "
                                      "remote stay in the store, for a bridge of that name)");
      ending.push_back(links_[j]);
    }
  }
  end_links(ending);
  if (!ending.empty() && ctx_->store != nullptr) {
    // Their last records are committed before a successor of the same name reads them.
    ctx_->store->flush();
  }
  std::vector<std::shared_ptr<BridgeCounters>> counters;
  std::vector<BridgeStats> stats;
  std::vector<sched::Pid> links;
  std::vector<sched::Pid> handing_over;
  for (std::size_t i = 0; i < bridges.size(); ++i) {
    if (kept[i]) {
      counters.push_back(counters_[*kept[i]]);
      links.push_back(links_[*kept[i]]);
    } else {
      counters.push_back(setups[i]->counters);
      counters.back()->enabled.store(true, std::memory_order_relaxed);
      sched::Pid predecessor;
      if (replaced[i]) {
        // Its new process takes the old one's place (bridge_link.hpp): no
        // instant without a route for its out topics, no message lost.
        ACTORMQ_LOG_NOTICE("bridge " << bridges[i].name
                                     << ": changed in the configuration; a new process takes over its routes and "
                                        "its messages for the remote");
        predecessor = links_[*replaced[i]];
        handing_over.push_back(predecessor);
      }
      links.push_back(start_link(std::move(setups[i]), predecessor));
    }
    stats.push_back(BridgeStats{bridges[i].name, counters.back()});
  }
  {
    std::lock_guard lock(mu_);
    bridges_ = std::move(bridges);
    counters_ = std::move(counters);
    stats_ = std::move(stats);
    links_ = std::move(links);
  }
  watch_stats();
  // As end_links: none of them refers to the broker once we return. One
  // that does not end in time is ended; its successor then takes its place
  // without it (BridgeLink::predecessor_ended).
  if (!wait_ended(handing_over, 5000)) {
    ACTORMQ_LOG_WARNING("bridges: a changed bridge's previous process did not hand over within 5 s; ended");
    end_links(handing_over);
  }
  return mqtt::Ok{};
}

void BridgeService::report_unconfigured() const {
  if (ctx_->env == nullptr) {
    return;
  }
  auto counts = count_out_records(*ctx_->env);
  if (!counts) {
    return;  // each bridge reports the store's error as it loads its own
  }
  for (const auto& [name, n] : *counts) {
    bool configured = std::any_of(bridges_.begin(), bridges_.end(),
                                  [&name = name](const core::BridgeConfig& b) { return b.name == name; });
    if (!configured) {
      // Kept, not dropped: they were acknowledged to their publishers, and
      // a bridge of that name (back in the file) sends them.
      ACTORMQ_LOG_WARNING("bridge " << name << " is not in the configuration, but the store holds " << n
                                    << " message(s) of it for its remote: kept until a bridge of that name sends them");
    }
  }
}

void BridgeService::end_links(const std::vector<sched::Pid>& pids) {
  for (sched::Pid pid : pids) {
    runtime_->exit(pid, sched::ExitReason::kill());
  }
  // Each ends on its scheduler (its last words to the remote, its routes
  // removed): wait, so that none refers to the broker once we return.
  (void)wait_ended(pids, 5000);
}

bool BridgeService::wait_ended(const std::vector<sched::Pid>& pids, int ms) const {
  for (int i = 0; i < ms; ++i) {
    if (std::none_of(pids.begin(), pids.end(), [this](sched::Pid pid) { return runtime_->alive(pid); })) {
      return true;
    }
    usleep(1000);
  }
  return false;
}

void BridgeService::stop() {
  if (runtime_ == nullptr) {
    return;
  }
  ctx_->bridges.remove(control_id_);  // before links_ changes: the API no longer switches them
  end_links(links_);
  {
    std::lock_guard lock(mu_);
    links_.clear();
  }
  ctx_->sys_sources.remove(sys_source_);
  sys_source_ = 0;
  ctx_ = nullptr;
  runtime_ = nullptr;
}

}  // namespace actormq::bridge
