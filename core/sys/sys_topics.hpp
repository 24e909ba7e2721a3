#pragma once
// $SYS/broker/... topics with mosquitto's names, published (retained) every
// sys_interval seconds by one process.

#include <array>
#include <cstdint>
#include <string>

#include "core/broker_context.hpp"
#include "sched/process.hpp"

namespace actormq::core {

class SysTopics : public sched::Process {
 public:
  SysTopics(BrokerContext& ctx, std::uint32_t interval_s);

 protected:
  void on_start() override;
  void on_message(sched::Message& msg) override;

 private:
  void publish_all();
  void publish(const std::string& topic, const std::string& value);
  void load(const std::string& name, Counter c, std::size_t slot);

  BrokerContext& ctx_;
  std::uint32_t interval_s_;
  std::uint64_t started_ms_ = 0;
  // Load averages per counter and window (1, 5, 15 minutes), in events per minute.
  static constexpr std::size_t loads = 5;
  std::array<std::array<double, 3>, loads> load_{};
  std::array<std::int64_t, loads> last_{};
};

}  // namespace actormq::core
