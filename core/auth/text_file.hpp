#pragma once
// Reading the small operator-written text files of authentication (password,
// ACL and SCRAM files): the whole file at once, then line by line, with
// errors that name the file and the line.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace actormq::core {

/// The contents of `path`, or "path: cannot read: reason".
[[nodiscard]] Result<std::string> read_text_file(const std::string& path);

/// Reads `path` and parses it with `T::parse(text, path)` (a Result<T>, its
/// failure "path:line: message"): the `load` of every auth file type.
template <class T>
[[nodiscard]] Result<T> load_text_file(const std::string& path) {
  ACTORMQ_TRY(std::string text, read_text_file(path));
  return T::parse(text, path);
}

/// Walks `text` line by line; numbers from 1; strips a trailing '\r'.
class Lines {
 public:
  explicit Lines(std::string_view text) noexcept : rest_(text) {}
  /// The next line, or nullopt at the end.
  [[nodiscard]] std::optional<std::string_view> next() noexcept;
  /// The next line that says something, without its leading and trailing
  /// blanks: blank lines and '#' comment lines are skipped (all three file
  /// formats agree on that), or nullopt at the end.
  [[nodiscard]] std::optional<std::string_view> next_entry() noexcept;
  [[nodiscard]] int number() const noexcept { return number_; }

 private:
  std::string_view rest_;
  int number_ = 0;
  bool done_ = false;
};

/// `text` without leading and trailing blanks (space, tab).
[[nodiscard]] std::string_view trim_blanks(std::string_view text) noexcept;

/// "path:line: message".
[[nodiscard]] std::string at_line(const std::string& path, int line, std::string_view message);

}  // namespace actormq::core
