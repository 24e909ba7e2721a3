#pragma once
// The pid_file (config key): which process serves, at every moment,
// through an upgrade too (the new process writes it once it serves).

#include <sys/types.h>

#include <string>

#include "core/result.hpp"

namespace actormq::core::upgrade {

/// Writes `pid` to `path` through a temporary file renamed over it, so that
/// a reader sees the old pid or the new one, never a partial file.
[[nodiscard]] Status write_pid_file(const std::string& path, pid_t pid);
/// The process id `path` names; a failure names the file and says what is
/// wrong (missing, unreadable, not a process id).
[[nodiscard]] Result<pid_t> read_pid_file(const std::string& path);
/// Removes `path` if it still names `pid` (after an upgrade it names the
/// new process, which keeps it).
void remove_pid_file(const std::string& path, pid_t pid);

}  // namespace actormq::core::upgrade
