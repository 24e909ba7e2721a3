#include "net/dial.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

namespace actormq::net {

namespace {

// The first IPv4 address, else the first one: a name with both kinds
// (localhost on many systems) reaches listeners bound to IPv4 addresses,
// the defaults of every listener here.
std::optional<DialAddress> first_address(const addrinfo* found) {
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      found = a;
      break;
    }
  }
  if (found == nullptr || found->ai_addrlen > sizeof(sockaddr_storage)) {
    return std::nullopt;
  }
  DialAddress a;
  std::memcpy(&a.addr, found->ai_addr, found->ai_addrlen);
  a.len = found->ai_addrlen;
  return a;
}

addrinfo stream_hints(int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | flags;
  return hints;
}

std::optional<DialAddress> resolve(const std::string& host, std::uint16_t port, int flags) {
  addrinfo hints = stream_hints(flags);
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0) {
    return std::nullopt;
  }
  auto a = first_address(found);
  freeaddrinfo(found);
  return a;
}

struct ResolveRequest {
  uv_getaddrinfo_t req{};
  std::string host;
  Resolved done;
};

void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* found) {
  std::unique_ptr<ResolveRequest> r(static_cast<ResolveRequest*>(req->data));
  std::optional<DialAddress> a = status == 0 ? first_address(found) : std::nullopt;
  if (found != nullptr) {
    uv_freeaddrinfo(found);
  }
  if (a) {
    r->done(a, {});
  } else {
    r->done(std::nullopt, "cannot resolve " + r->host + (status != 0 ? std::string(": ") + uv_strerror(status) : ""));
  }
}

}  // namespace

std::optional<DialAddress> numeric_address(const std::string& host, std::uint16_t port) {
  return resolve(host, port, AI_NUMERICHOST);
}

void resolve_async(uv_loop_t* loop, const std::string& host, std::uint16_t port, Resolved done) {
  auto r = std::make_unique<ResolveRequest>();
  r->host = host;
  r->done = std::move(done);
  r->req.data = r.get();
  addrinfo hints = stream_hints(0);
  std::string service = std::to_string(port);
  int rc = uv_getaddrinfo(loop, &r->req, &on_resolved, host.c_str(), service.c_str(), &hints);
  if (rc != 0) {
    r->done(std::nullopt, "cannot resolve " + host + ": " + uv_strerror(rc));
    return;
  }
  (void)r.release();  // on_resolved takes it back
}

DialStarted start_dial(const DialAddress& to) {
  int fd = ::socket(to.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return {-1, std::string("socket: ") + std::strerror(errno)};
  }
  int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len) != 0 && errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    return {-1, std::string("connect: ") + std::strerror(err)};
  }
  return {fd, {}};
}

DialStarted start_dial(const std::string& host, std::uint16_t port) {
  auto addr = resolve(host, port, 0);
  if (!addr) {
    return {-1, "cannot resolve " + host};
  }
  return start_dial(*addr);
}

int dial_outcome(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    return errno;
  }
  return err;
}

}  // namespace actormq::net
