// `actormq ctl upgrade`: SIGUSR2 to the process the pid_file names, then
// the outcome as the pid_file and the processes show it
// (core/upgrade/upgrade.hpp): the new process writes the file once it
// serves and the old one exits; after a roll back the old process writes
// the file again (a new file with its own pid) and serves on.
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <thread>

#include "core/ctl/ctl.hpp"
#include "core/upgrade/pid_file.hpp"

namespace actormq::core::ctl {

namespace {

using Clock = std::chrono::steady_clock;

// True while `pid` exists and has not ended: a zombie (exited, not yet
// reaped by its parent) counts as ended.
bool running(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) {
    return false;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  if (paren == std::string::npos) {
    return stat.is_open() || ::kill(pid, 0) == 0;
  }
  return text.size() > paren + 2 && text[paren + 2] != 'Z';
}

// The pid_file as a file: renaming a new one over it changes the inode.
std::optional<ino_t> file_identity(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return st.st_ino;
}

std::string seconds_text(Clock::duration d) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << std::chrono::duration<double>(d).count() << " s";
  return out.str();
}

// The process the pid_file names, if it runs.
Result<pid_t> serving_process(const std::string& pid_file) {
  auto pid = upgrade::read_pid_file(pid_file);
  if (!pid) {
    return Failure{pid.error().text() + " (is the broker running, with this pid_file?)"};
  }
  if (!running(*pid)) {
    return Failure{"pid_file " + pid_file + " names process " + std::to_string(*pid) +
                   ", which is not running (a stale pid_file: is the broker running?)"};
  }
  return *pid;
}

}  // namespace

int ctl_upgrade(const Target& t, double timeout_s, std::ostream& out, std::ostream& err) {
  if (t.pid_file.empty()) {
    err << "actormq ctl: no pid_file: set pid_file in the broker's config and give --config, or --pid-file\n";
    return ctl_failed;
  }
  auto old = serving_process(t.pid_file);
  if (!old) {
    err << "actormq ctl: " << old.error().text() << '\n';
    return ctl_failed;
  }
  const pid_t old_pid = *old;
  const std::optional<ino_t> before = file_identity(t.pid_file);
  const auto start = Clock::now();
  if (::kill(old_pid, SIGUSR2) != 0) {
    err << "actormq ctl: cannot signal process " << old_pid << ": " << std::strerror(errno) << '\n';
    return ctl_failed;
  }
  out << "upgrading process " << old_pid << " (SIGUSR2)\n" << std::flush;
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  for (;;) {
    // The old process first: the new one names itself in the file before
    // the old one exits, so a file read after an exit names the new one.
    const bool old_runs = running(old_pid);
    auto named = upgrade::read_pid_file(t.pid_file);
    if (named && *named != old_pid && running(*named) && !old_runs) {
      out << "upgraded: process " << old_pid << " -> " << *named << " in " << seconds_text(Clock::now() - start)
          << '\n';
      return ctl_ok;
    }
    if (named && *named == old_pid && old_runs && file_identity(t.pid_file) != before) {
      err << "actormq ctl: the upgrade was rolled back after " << seconds_text(Clock::now() - start)
          << ": process " << old_pid << " serves on (its log says why)\n";
      return ctl_failed;
    }
    if (!old_runs && !(named && *named != old_pid && running(*named))) {
      err << "actormq ctl: process " << old_pid << " exited and no new process serves (the pid_file "
          << (named ? "names " + std::to_string(*named) : "is gone") << "); see the broker's log\n";
      return ctl_failed;
    }
    if (Clock::now() >= deadline) {
      err << "actormq ctl: no outcome after " << seconds_text(Clock::now() - start) << ": the pid_file names "
          << (named ? std::to_string(*named) : "nothing") << ", process " << old_pid << " still runs\n";
      return ctl_failed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace actormq::core::ctl
