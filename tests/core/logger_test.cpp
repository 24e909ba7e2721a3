#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "core/logger.hpp"

using actormq::core::Logger;
using actormq::core::LogLevel;

namespace {

struct Captured {
  std::vector<std::string> lines;
};

void capture(Logger& logger, Captured& out) {
  logger.use_sink([&out](std::string_view line) { out.lines.emplace_back(line); });
}

std::string temp_path(const char* name) {
  return "/tmp/actormq_logger_test_" + std::to_string(::getpid()) + "_" + name;
}

}  // namespace

TEST_CASE("logger: level names round-trip") {
  for (auto name : actormq::core::log_level_names) {
    auto level = actormq::core::parse_log_level(name);
    REQUIRE(level);
    CHECK(actormq::core::to_string(*level) == name);
  }
  CHECK_FALSE(actormq::core::parse_log_level("verbose"));
  CHECK_FALSE(actormq::core::parse_log_level("INFO"));
}

TEST_CASE("logger: line format is UTC ISO-8601 with milliseconds") {
  using namespace std::chrono;
  const system_clock::time_point when{seconds{1'700'000'000} + milliseconds{42}};
  CHECK(actormq::core::format_log_line(when, LogLevel::notice, "hello") ==
        "2023-11-14T22:13:20.042Z notice: hello\n");
}

TEST_CASE("logger: a JSON line is one object with time, level and message, escaped") {
  using namespace std::chrono;
  const system_clock::time_point when{seconds{1'700'000'000} + milliseconds{42}};
  CHECK(actormq::core::format_log_json(when, LogLevel::info, "client \"a\"\n\x01 b\\") ==
        "{\"time\":\"2023-11-14T22:13:20.042Z\",\"level\":\"info\",\"message\":\"client \\\"a\\\"\\n\\u0001 b\\\\\"}\n");
  // A client id that is not UTF-8 does not break the line.
  CHECK(actormq::core::format_log_json(when, LogLevel::error, "id \xff\xfe") ==
        "{\"time\":\"2023-11-14T22:13:20.042Z\",\"level\":\"error\",\"message\":\"id \xEF\xBF\xBD\xEF\xBF\xBD\"}\n");
}

TEST_CASE("logger: the json format writes JSON lines") {
  Logger logger;
  Captured out;
  capture(logger, out);
  logger.set_format(actormq::core::LogFormat::json);
  logger.write(LogLevel::notice, "started");
  REQUIRE(out.lines.size() == 1);
  CHECK(out.lines[0].starts_with("{\"time\":\""));
  CHECK(out.lines[0].ends_with("\",\"level\":\"notice\",\"message\":\"started\"}\n"));
  logger.set_format(actormq::core::LogFormat::text);
  logger.write(LogLevel::notice, "plain");
  CHECK(out.lines[1].ends_with(" notice: plain\n"));
}

TEST_CASE("logger: lines below the level are neither formatted nor written") {
  Logger logger;
  Captured out;
  capture(logger, out);
  logger.set_level(LogLevel::warning);
  int formatted = 0;
  auto expensive = [&] {
    ++formatted;
    return "x";
  };
  ACTORMQ_LOG_TO(logger, LogLevel::info, "skipped " << expensive());
  ACTORMQ_LOG_TO(logger, LogLevel::debug, "skipped " << expensive());
  CHECK(formatted == 0);
  ACTORMQ_LOG_TO(logger, LogLevel::warning, "kept " << expensive() << ' ' << 7);
  ACTORMQ_LOG_TO(logger, LogLevel::error, "also kept");
  CHECK(formatted == 1);
  REQUIRE(out.lines.size() == 2);
  CHECK(out.lines[0].find(" warning: kept x 7\n") != std::string::npos);
  CHECK(out.lines[1].find(" error: also kept\n") != std::string::npos);

  logger.set_level(LogLevel::debug);
  CHECK(logger.enabled(LogLevel::debug));
  logger.write(LogLevel::debug, "now visible");
  CHECK(out.lines.size() == 3);
}

TEST_CASE("logger: writes to a file and reports a file it cannot open") {
  Logger logger;
  const std::string path = temp_path("file.log");
  std::remove(path.c_str());
  REQUIRE(logger.open_file(path).ok());
  logger.write(LogLevel::info, "first");
  REQUIRE(logger.reopen().ok());
  logger.write(LogLevel::error, "second");
  logger.use_stderr();

  std::ifstream in(path);
  std::string l1, l2, l3;
  REQUIRE(std::getline(in, l1));
  REQUIRE(std::getline(in, l2));
  CHECK_FALSE(std::getline(in, l3));
  CHECK(l1.size() > 25);
  CHECK(l1.substr(24) == " info: first");
  CHECK(l2.substr(24) == " error: second");
  std::remove(path.c_str());

  auto opened = logger.open_file("/nonexistent-dir/actormq.log");
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().text().find("/nonexistent-dir/actormq.log") != std::string::npos);
}

TEST_CASE("logger: concurrent writers never interleave lines") {
  Logger logger;
  const std::string path = temp_path("threads.log");
  std::remove(path.c_str());
  REQUIRE(logger.open_file(path).ok());
  constexpr int threads = 4;
  constexpr int per_thread = 500;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&logger, t] {
      for (int i = 0; i < per_thread; ++i) {
        ACTORMQ_LOG_TO(logger, LogLevel::info, "thread " << t << " line " << i << " end");
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  logger.use_stderr();
  std::ifstream in(path);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    ++count;
    CHECK(line.find(" info: thread ") == 24);
    CHECK(line.substr(line.size() - 4) == " end");
  }
  CHECK(count == threads * per_thread);
  std::remove(path.c_str());
}
