#pragma once
// The hand-over protocol between the broker process that upgrades (the old
// one) and the binary it starts (the new one), over a SOCK_SEQPACKET Unix
// socket pair: one message per packet, one line of text, a listening socket
// attached (SCM_RIGHTS) to each `socket` message. Version 1:
//
//     new -> old   hello 1 <pid>                 the new binary runs and speaks version 1
//     old -> new   socket <type> <bind> <port>   one per listening socket, with its descriptor
//     old -> new   sockets-end <count>           how many socket messages came
//     new -> old   ready                         it holds the sockets
//        (the old process stops accepting, drains its clients, closes the store)
//     old -> new   released                      the store is the new process's
//     new -> old   serving <pid>                 it opened the store and accepts
//     either       error <text>                  it gives up; the old process keeps serving
//
// <type> is a listener type (tcp, tls, ws, wss, http, https), <port> the
// configured port (0: ephemeral), which with <bind> names the listener of
// the new process's configuration that takes the socket. A version that is
// not 1 is answered with `error` (each version of the set gets its own
// parser, as the node protocol's do).

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/config/config.hpp"
#include "core/result.hpp"

namespace actormq::core::upgrade {

inline constexpr std::uint32_t handover_version = 1;
/// Longest message either side sends or reads.
inline constexpr std::size_t max_handover_message = 4096;

struct Hello {
  std::uint32_t version = handover_version;
  std::int64_t pid = 0;
};
struct SocketOffer {
  ListenerType type = ListenerType::tcp;
  std::string bind;
  std::uint16_t port = 0;  ///< configured, 0: ephemeral
};
struct SocketsEnd {
  std::uint32_t count = 0;
};
struct Ready {};
struct Released {};
struct Serving {
  std::int64_t pid = 0;
};
struct HandoverError {
  std::string text;
};

using HandoverMessage = std::variant<Hello, SocketOffer, SocketsEnd, Ready, Released, Serving, HandoverError>;

/// One message as its line (no newline).
[[nodiscard]] std::string format_handover(const HandoverMessage& message);
/// A line as a message; a malformed one fails with what is wrong with it.
[[nodiscard]] Result<HandoverMessage> parse_handover(std::string_view line);

}  // namespace actormq::core::upgrade
