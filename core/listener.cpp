#include "core/listener.hpp"

#include <unistd.h>

#include "core/logger.hpp"
#include "core/session.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

Listener::Listener(BrokerContext& ctx, std::string bind, std::uint16_t port,
                   std::int64_t max_connections,
                   std::promise<std::pair<std::uint16_t, std::string>> bound)
    : ctx_(ctx), bind_(std::move(bind)), port_(port), max_connections_(max_connections),
      bound_(std::move(bound)) {}

void Listener::on_start() {
  auto opened = net::TcpListener::open(scheduler().loop(), bind_, port_, [this](int fd) { accept(fd); });
  if (opened.listener == nullptr) {
    bound_.set_value({0, opened.error});
    exit(sched::ExitReason::error(opened.error));
    return;
  }
  socket_ = opened.listener;
  bound_.set_value({socket_->port(), {}});
}

void Listener::on_message(sched::Message&) {}

void Listener::accept(int fd) {
  std::int64_t open = ctx_.connections.fetch_add(1, std::memory_order_relaxed) + 1;
  bool over_broker = ctx_.limits.max_connections >= 0 && open > ctx_.limits.max_connections;
  if (over_broker) {
    ctx_.connections.fetch_sub(1, std::memory_order_relaxed);
    ::close(fd);
    ACTORMQ_LOG_NOTICE("connection refused: max_connections (" << ctx_.limits.max_connections
                                                               << ") reached");
    return;
  }
  (void)max_connections_;
  sched::SpawnOptions options;
  options.scheduler = static_cast<int>(scheduler().id());
  options.pinned = true;
  options.start = true;
  runtime().spawn(std::make_unique<Session>(ctx_, fd), options);
}

void Listener::on_exit(const sched::ExitReason&) {
  if (socket_ != nullptr) {
    socket_->close();
    socket_ = nullptr;
  }
}

}  // namespace actormq::core
