// core/upgrade/handover.cpp and control_socket.cpp: the hand-over protocol
// of an upgrade, its lines and its socket pair.
#include "core/upgrade/handover.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "core/upgrade/control_socket.hpp"

namespace actormq::core::upgrade {
namespace {

std::string round_trip(const HandoverMessage& m) {
  auto parsed = parse_handover(format_handover(m));
  REQUIRE_MESSAGE(parsed.ok(), parsed.error().text());
  return format_handover(*parsed);
}

TEST_CASE("upgrade hand-over: every message formats and parses back") {
  CHECK(format_handover(Hello{1, 4242}) == "hello 1 4242");
  CHECK(round_trip(Hello{1, 4242}) == "hello 1 4242");
  CHECK(format_handover(SocketOffer{ListenerType::wss, "::1", 0}) == "socket wss ::1 0");
  CHECK(round_trip(SocketOffer{ListenerType::wss, "::1", 0}) == "socket wss ::1 0");
  CHECK(round_trip(SocketsEnd{3}) == "sockets-end 3");
  CHECK(round_trip(Ready{}) == "ready");
  CHECK(round_trip(Released{}) == "released");
  CHECK(round_trip(Serving{77}) == "serving 77");
  CHECK(round_trip(HandoverError{"cannot listen\non 1.2.3.4"}) == "error cannot listen on 1.2.3.4");
  auto offer = parse_handover("socket https 0.0.0.0 8443");
  REQUIRE(offer.ok());
  const auto& s = std::get<SocketOffer>(*offer);
  CHECK(s.type == ListenerType::https);
  CHECK(s.bind == "0.0.0.0");
  CHECK(s.port == 8443);
  // A later version is read as such: the old process answers it with an error.
  auto later = parse_handover("hello 2 10");
  REQUIRE(later.ok());
  CHECK(std::get<Hello>(*later).version == 2);
}

TEST_CASE("upgrade hand-over: malformed lines are refused with what is wrong") {
  for (const char* bad : {"", "hello", "hello 1", "hello 0 5", "hello 1 0", "hello 1 -5", "hello x 5",
                          "hello 1 5 6", "hello  1 5", "socket tcp 127.0.0.1", "socket udp 127.0.0.1 1883",
                          "socket tcp  1883", "socket tcp 127.0.0.1 65536", "socket tcp 127.0.0.1 +1",
                          "sockets-end", "sockets-end -1", "sockets-end 99999999999999999999", "ready now",
                          "Released", "serving", "serving 0", "bye", "error", " ready"}) {
    CAPTURE(bad);
    auto parsed = parse_handover(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().text().starts_with("hand-over message \""));
  }
  CHECK_FALSE(parse_handover(std::string("ready\0", 6)).ok());
  CHECK_FALSE(parse_handover("released\n").ok());
  CHECK_FALSE(parse_handover("error " + std::string(max_handover_message, 'x')).ok());
}

TEST_CASE("upgrade control socket: messages keep their bounds and carry one descriptor") {
  auto made = ControlSocket::pair();
  REQUIRE(made.ok());
  auto& [a, b] = *made;
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  REQUIRE(a.send(SocketOffer{ListenerType::tcp, "127.0.0.1", 1883}, pipe_fds[1]).ok());
  REQUIRE(a.send(Ready{}).ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  auto first = b.receive(deadline, -1);
  REQUIRE(first.ok());
  CHECK(first->kind == ControlSocket::Incoming::Kind::message);
  CHECK(std::holds_alternative<SocketOffer>(first->message));
  REQUIRE(first->fd >= 0);
  // The same pipe, through another descriptor.
  struct stat sent{}, got{};
  ::fstat(pipe_fds[1], &sent);
  ::fstat(first->fd, &got);
  CHECK(sent.st_ino == got.st_ino);
  ::close(first->fd);
  auto second = b.receive(deadline, -1);
  REQUIRE(second.ok());
  CHECK(std::holds_alternative<Ready>(second->message));
  CHECK(second->fd == -1);
  // Nothing more: a timeout; then the other end closes.
  auto none = b.receive(std::chrono::steady_clock::now() + std::chrono::milliseconds(20), -1);
  REQUIRE(none.ok());
  CHECK(none->kind == ControlSocket::Incoming::Kind::timeout);
  a = ControlSocket(-1);
  auto closed = b.receive(deadline, -1);
  REQUIRE(closed.ok());
  CHECK(closed->kind == ControlSocket::Incoming::Kind::closed);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST_CASE("upgrade control socket: a malformed message from the other end fails the receive") {
  auto made = ControlSocket::pair();
  REQUIRE(made.ok());
  const char junk[] = "socket tcp";
  REQUIRE(::send(made->first.fd(), junk, sizeof junk - 1, 0) == static_cast<ssize_t>(sizeof junk - 1));
  auto got = made->second.receive(std::chrono::steady_clock::now() + std::chrono::seconds(2), -1);
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().text().find("socket tcp") != std::string::npos);
}

}  // namespace
}  // namespace actormq::core::upgrade
