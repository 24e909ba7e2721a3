#pragma once
// A small leveled logger shared by every scheduler thread. Checking the
// level is one relaxed atomic load, and the ACTORMQ_LOG macros check it
// before formatting, so a disabled debug line costs no formatting and no
// allocation.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace actormq::core {

/// Severity, most severe first: a logger at level L writes L and everything before it.
enum class LogLevel : std::uint8_t { error, warning, notice, info, debug };

inline constexpr std::array<std::string_view, 5> log_level_names{"error", "warning", "notice", "info", "debug"};

[[nodiscard]] constexpr std::string_view to_string(LogLevel level) noexcept {
  return log_level_names[static_cast<std::size_t>(level)];
}

/// How a line is written: text ("<time> <level>: <message>") or one JSON
/// object per line ({"time", "level", "message"}) for log collectors.
enum class LogFormat : std::uint8_t { text, json };
inline constexpr std::array<std::string_view, 2> log_format_names{"text", "json"};

/// The level named `name` (one of log_level_names), or nothing.
[[nodiscard]] std::optional<LogLevel> parse_log_level(std::string_view name) noexcept;

/// One log line: "2026-11-22T09:03:20.123Z info: message\n" (UTC, milliseconds).
[[nodiscard]] std::string format_log_line(std::chrono::system_clock::time_point when, LogLevel level,
                                          std::string_view message);
/// One JSON log line: {"time":"2026-11-22T09:03:20.123Z","level":"info","message":"..."}
/// and a newline; bytes of the message that are not UTF-8 become U+FFFD.
[[nodiscard]] std::string format_log_json(std::chrono::system_clock::time_point when, LogLevel level,
                                          std::string_view message);

/// Writes leveled, timestamped lines to stderr, a file, or a caller's sink.
/// Every member is thread-safe; lines from different threads never interleave.
class Logger {
 public:
  /// Receives one complete line, newline included, under the logger's lock.
  using Sink = std::function<void(std::string_view line)>;

  Logger() = default;
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  /// The process-wide logger that the ACTORMQ_LOG macros write to.
  static Logger& global();

  [[nodiscard]] bool enabled(LogLevel level) const noexcept {
    return level <= level_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] LogLevel level() const noexcept { return level_.load(std::memory_order_relaxed); }
  void set_level(LogLevel level) noexcept { level_.store(level, std::memory_order_relaxed); }
  void set_format(LogFormat format) noexcept { format_.store(format, std::memory_order_relaxed); }

  /// Appends to the file at `path` from now on. On failure returns the
  /// reason and keeps the current destination.
  [[nodiscard]] Status open_file(const std::string& path);
  /// Closes and reopens the current log file (after log rotation). No-op
  /// when writing to stderr or a sink.
  [[nodiscard]] Status reopen();
  /// Writes to stderr from now on (the default).
  void use_stderr();
  /// Hands lines to `sink` from now on.
  void use_sink(Sink sink);

  /// Writes one line if `level` is enabled.
  void write(LogLevel level, std::string_view message);

 private:
  void close_file_locked() noexcept;

  std::atomic<LogLevel> level_{LogLevel::info};
  std::atomic<LogFormat> format_{LogFormat::text};
  std::mutex mutex_;
  std::FILE* file_ = nullptr;  // null: stderr
  std::string path_;
  Sink sink_;
};

}  // namespace actormq::core

/// ACTORMQ_LOG_TO(logger, LogLevel, a << b << c): formats with an ostream,
/// and only when the level is enabled.
#define ACTORMQ_LOG_TO(logger, lvl, stream_expr)                  \
  do {                                                            \
    auto& actormq_log_logger_ = (logger);                         \
    const auto actormq_log_level_ = (lvl);                        \
    if (actormq_log_logger_.enabled(actormq_log_level_)) {        \
      std::ostringstream actormq_log_os_;                         \
      actormq_log_os_ << stream_expr;                             \
      actormq_log_logger_.write(actormq_log_level_, actormq_log_os_.view()); \
    }                                                             \
  } while (false)

#define ACTORMQ_LOG(lvl, stream_expr) \
  ACTORMQ_LOG_TO(::actormq::core::Logger::global(), ::actormq::core::LogLevel::lvl, stream_expr)
#define ACTORMQ_LOG_ERROR(stream_expr) ACTORMQ_LOG(error, stream_expr)
#define ACTORMQ_LOG_WARNING(stream_expr) ACTORMQ_LOG(warning, stream_expr)
#define ACTORMQ_LOG_NOTICE(stream_expr) ACTORMQ_LOG(notice, stream_expr)
#define ACTORMQ_LOG_INFO(stream_expr) ACTORMQ_LOG(info, stream_expr)
#define ACTORMQ_LOG_DEBUG(stream_expr) ACTORMQ_LOG(debug, stream_expr)
