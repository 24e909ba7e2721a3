#pragma once
// Reading the small operator-written text files of authentication (password,
// ACL and SCRAM files): the whole file at once, then line by line, with
// errors that name the file and the line.

#include <optional>
#include <string>
#include <string_view>

namespace actormq::core {

/// A value parsed from a file, or why not ("path:line: message").
template <class T>
struct FileResult {
  std::optional<T> value;
  std::string error;
  [[nodiscard]] bool ok() const noexcept { return value.has_value(); }
};

/// The contents of `path`, or "path: cannot read: reason".
[[nodiscard]] FileResult<std::string> read_text_file(const std::string& path);

/// Reads `path` and parses it with `T::parse(text, path)`: the `load` of every
/// auth file type.
template <class T>
[[nodiscard]] FileResult<T> load_text_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text.ok()) {
    return {std::nullopt, text.error};
  }
  return T::parse(*text.value, path);
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
