#include "core/logger.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

namespace actormq::core {

std::optional<LogLevel> parse_log_level(std::string_view name) noexcept {
  for (std::size_t i = 0; i < log_level_names.size(); ++i) {
    if (log_level_names[i] == name) {
      return static_cast<LogLevel>(i);
    }
  }
  return std::nullopt;
}

namespace {

// "2026-11-22T09:03:20.123Z" (UTC, milliseconds).
std::string timestamp(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto since_epoch = when.time_since_epoch();
  const std::time_t seconds = static_cast<std::time_t>(floor<std::chrono::seconds>(since_epoch).count());
  const auto millis = floor<milliseconds>(since_epoch).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[40];
  const int n = std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                              utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                              static_cast<int>(millis));
  return std::string(stamp, static_cast<std::size_t>(n));
}

}  // namespace

std::string format_log_line(std::chrono::system_clock::time_point when, LogLevel level, std::string_view message) {
  std::string line = timestamp(when);
  line.reserve(line.size() + 12 + message.size());
  line.push_back(' ');
  line.append(to_string(level));
  line.append(": ");
  line.append(message);
  line.push_back('\n');
  return line;
}

std::string format_log_json(std::chrono::system_clock::time_point when, LogLevel level, std::string_view message) {
  nlohmann::ordered_json j{{"time", timestamp(when)}, {"level", to_string(level)}, {"message", message}};
  // Messages carry client ids and topics as the clients sent them: invalid
  // UTF-8 is replaced rather than thrown on.
  std::string line = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  line.push_back('\n');
  return line;
}

Logger::~Logger() { close_file_locked(); }

Logger& Logger::global() {
  // Leaked on purpose: threads may still log while static destructors run.
  static Logger* instance = new Logger();
  return *instance;
}

Status Logger::open_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (!file) {
    return Failure{"cannot open log file " + path + ": " + std::strerror(errno)};
  }
  std::lock_guard lock(mutex_);
  close_file_locked();
  file_ = file;
  path_ = path;
  sink_ = nullptr;
  return mqtt::Ok{};
}

Status Logger::reopen() {
  std::string path;
  {
    std::lock_guard lock(mutex_);
    if (!file_) {
      return mqtt::Ok{};
    }
    path = path_;
  }
  return open_file(path);
}

void Logger::use_stderr() {
  std::lock_guard lock(mutex_);
  close_file_locked();
  sink_ = nullptr;
}

void Logger::use_sink(Sink sink) {
  std::lock_guard lock(mutex_);
  close_file_locked();
  sink_ = std::move(sink);
}

void Logger::write(LogLevel level, std::string_view message) {
  if (!enabled(level)) {
    return;
  }
  // Format outside the lock; only the write itself is serialized.
  const auto now = std::chrono::system_clock::now();
  const std::string line = format_.load(std::memory_order_relaxed) == LogFormat::json
                               ? format_log_json(now, level, message)
                               : format_log_line(now, level, message);
  std::lock_guard lock(mutex_);
  if (sink_) {
    sink_(line);
    return;
  }
  std::FILE* out = file_ ? file_ : stderr;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

void Logger::close_file_locked() noexcept {
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
    path_.clear();
  }
}

}  // namespace actormq::core
