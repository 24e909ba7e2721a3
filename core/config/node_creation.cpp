#include "core/config/node_creation.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>

namespace actormq::core {
namespace {

Failure io_failure(const std::string& path, const char* what) {
  return Failure{path + ": " + what + ": " + std::strerror(errno)};
}

// The previous creation, 0 if there is none yet.
Result<unsigned> read_previous(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) {
      return 0u;
    }
    return io_failure(path, "cannot read");
  }
  char buf[16];
  ssize_t n = ::read(fd, buf, sizeof buf);
  int read_errno = errno;
  ::close(fd);
  if (n < 0) {
    errno = read_errno;
    return io_failure(path, "cannot read");
  }
  std::size_t len = static_cast<std::size_t>(n);
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
    --len;
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(buf, buf + len, value);
  if (len == 0 || ec != std::errc{} || end != buf + len || value < 1 || value > 255) {
    return Failure{path + ": not a node creation (a number from 1 to 255); remove the file to start again from 1"};
  }
  return value;
}

Status write_synced(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    return io_failure(tmp, "cannot write");
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  int write_errno = errno;
  ::close(fd);
  if (!ok) {
    errno = write_errno;
    return io_failure(tmp, "cannot write");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return io_failure(path, "cannot replace");
  }
  return mqtt::Ok{};
}

}  // namespace

Result<std::uint8_t> next_node_creation(const std::string& data_dir) {
  if (::mkdir(data_dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return io_failure(data_dir, "cannot create the directory");
  }
  std::string path = data_dir + "/node_creation";
  ACTORMQ_TRY(unsigned previous, read_previous(path));
  auto next = static_cast<std::uint8_t>(previous % 255 + 1);
  ACTORMQ_CHECK(write_synced(path, std::to_string(next) + "\n"));
  return next;
}

std::uint8_t random_node_creation() {
  std::random_device rd;
  return static_cast<std::uint8_t>(rd() % 255 + 1);
}

}  // namespace actormq::core
