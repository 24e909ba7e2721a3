#include "core/upgrade/pid_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>

namespace actormq::core::upgrade {

Status write_pid_file(const std::string& path, pid_t pid) {
  const std::string temp = path + ".tmp." + std::to_string(pid);
  {
    std::ofstream out(temp, std::ios::trunc);
    out << pid << '\n';
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      return Failure{"pid_file " + path + ": cannot write " + temp + ": " + std::strerror(errno)};
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(temp.c_str());
    return Failure{"pid_file " + path + ": cannot rename " + temp + " over it: " + std::strerror(err)};
  }
  return mqtt::Ok{};
}

Result<pid_t> read_pid_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Failure{"pid_file " + path + ": " + std::strerror(errno)};
  }
  long pid = 0;
  std::string rest;
  if (!(in >> pid) || pid <= 0 || pid > std::numeric_limits<pid_t>::max() || (in >> rest)) {
    return Failure{"pid_file " + path + " does not hold a process id"};
  }
  return static_cast<pid_t>(pid);
}

void remove_pid_file(const std::string& path, pid_t pid) {
  std::ifstream in(path);
  long named = 0;
  if (in >> named && named == static_cast<long>(pid)) {
    std::remove(path.c_str());
  }
}

}  // namespace actormq::core::upgrade
