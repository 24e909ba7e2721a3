#include "core/routing/retained_load.hpp"

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/store/persistence.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

namespace {
// Records per read transaction: a growth of the map waits for one batch at
// most (persist/env.hpp).
constexpr std::size_t records_per_transaction = 4096;
}  // namespace

Result<LoadedRetained> read_retained(const persist::Env& env, persist::Writer* writer, std::uint64_t now_ms,
                                     const std::atomic<bool>& cancel) {
  LoadedRetained out;
  std::string bad_key;
  auto err = env.for_each(
      persist::Db::retained,
      [&](std::string_view key, std::string_view value) {
        if (cancel.load(std::memory_order_relaxed)) {
          return false;
        }
        auto m = persist::decode_message(value);
        if (!m || m->topic != key) {
          bad_key = key;
          return false;
        }
        AppMessagePtr msg = from_stored(std::move(*m), writer);
        if (expired(*msg, now_ms)) {
          out.expired.emplace_back(key);
          return true;
        }
        if (const auto& expiry = msg->properties().message_expiry_interval) {
          out.expiries.emplace_back(msg->received_ms + std::uint64_t{*expiry} * 1000, key);
        }
        out.index.set(key, std::move(msg));
        return true;
      },
      records_per_transaction);
  if (err) {
    return Failure{"data_dir " + env.path() + ": cannot read database 'retained': " + *err};
  }
  if (!bad_key.empty()) {
    return Failure{"data_dir " + env.path() + ": unreadable record in database 'retained' (key \"" +
                   printable_key(bad_key) + "\"); move the directory away to start empty"};
  }
  if (cancel.load(std::memory_order_relaxed)) {
    return LoadedRetained{};
  }
  return out;
}

RetainedLoader::RetainedLoader(sched::Runtime& runtime, const persist::Env& env, persist::Writer* writer,
                               sched::Pid retainer, RetainedLoaderOptions options)
    : options_(std::move(options)) {
  thread_ = std::thread([this, &runtime, &env, writer, retainer] { run(runtime, env, writer, retainer); });
}

RetainedLoader::~RetainedLoader() {
  cancel_.store(true, std::memory_order_relaxed);
  thread_.join();
}

void RetainedLoader::run(sched::Runtime& runtime, const persist::Env& env, persist::Writer* writer,
                         sched::Pid retainer) {
  auto started = std::chrono::steady_clock::now();
  auto result = read_retained(env, writer, wall_ms(), cancel_);
  if (options_.hold_back.count() > 0) {
    ACTORMQ_LOG_NOTICE("retained messages read; test hold of " << options_.hold_back.count()
                                                               << " ms before the hand-over");
  }
  auto until = std::chrono::steady_clock::now() + options_.hold_back;
  while (std::chrono::steady_clock::now() < until && !cancel_.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (cancel_.load(std::memory_order_relaxed)) {
    return;  // the broker is stopping
  }
  if (!result) {
    if (options_.on_error) {
      options_.on_error(result.error().text());
    }
    runtime.send<RetainedLoaded>(retainer, RetainedLoaded{nullptr, started});
    return;
  }
  auto loaded = std::make_unique<LoadedRetained>(std::move(result).value());
  runtime.send<RetainedLoaded>(retainer, RetainedLoaded{std::move(loaded), started});
}

}  // namespace actormq::core
