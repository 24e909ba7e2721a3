#include "core/auth/text_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace actormq::core {

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Failure{path + ": cannot read: " + std::strerror(errno)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Failure{path + ": cannot read"};
  }
  return text.str();
}

std::optional<std::string_view> Lines::next() noexcept {
  if (done_ || rest_.empty()) {
    done_ = true;
    return std::nullopt;
  }
  ++number_;
  std::size_t end = rest_.find('\n');
  std::string_view line = rest_.substr(0, end);
  rest_ = end == std::string_view::npos ? std::string_view{} : rest_.substr(end + 1);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return line;
}

std::optional<std::string_view> Lines::next_entry() noexcept {
  while (auto line = next()) {
    std::string_view l = trim_blanks(*line);
    if (!l.empty() && l.front() != '#') {
      return l;
    }
  }
  return std::nullopt;
}

std::string_view trim_blanks(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string at_line(const std::string& path, int line, std::string_view message) {
  return path + ":" + std::to_string(line) + ": " + std::string(message);
}

}  // namespace actormq::core
