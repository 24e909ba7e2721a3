#pragma once
// One peer's byte stream, as the process that owns it sees it (EMQX's
// emqx_connection): the socket (plain TCP, TLS or WebSocket, net/), the packet
// parser, the bytes the socket has not taken yet, the read loop with its
// per-wake budget, and closing. It speaks MQTT framing and nothing more: it
// hands its owner whole packets, in order, and says when the stream cannot go
// on; what the packets mean is the owner's business (a session's state
// machine; later an MQTT bridge's client side, with its own parser rules).
//
// Not a process: a plain object inside its owner, used from the owner's
// handlers only. The calls that may read, write or report take the owner, so
// the connection keeps no pointer to it (memory per idle connection is a
// target: an idle connection keeps no read buffer, no write buffer, no timer).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/broker_context.hpp"
#include "core/listen/connection_slot.hpp"
#include "core/metrics.hpp"
#include "core/session/out_queue.hpp"
#include "mqtt/packets.hpp"
#include "mqtt/parser.hpp"
#include "net/socket.hpp"
#include "net/stream.hpp"
#include "net/transport.hpp"
#include "sched/process.hpp"

namespace actormq::core {

/// A connection to its owner: it stopped reading with more perhaps waiting
/// (the owner's budget was spent); call Connection::read once the other
/// processes had their turn.
struct ReadMore {};

/// Why a connection cannot go on (ConnectionOwner::on_connection_lost).
enum class ConnectionLoss : std::uint8_t {
  closed,   ///< the peer closed or reset it, or a write found it gone
  error,    ///< a read failed (a transport error, e.g. a bad TLS record): logged, counted as malformed
  backlog,  ///< the peer does not read: what it left unsent passed the close-backlog limit
};

/// The process that owns a Connection: what the connection tells it, and the
/// little it needs of it (its budget, its counters and limits). Owner-only.
class ConnectionOwner : public sched::Process {
 protected:
  /// A packet read from the peer; packets arrive whole and in order.
  virtual void on_packet(mqtt::Packet& packet) = 0;
  /// The peer's bytes do not parse (already counted as malformed). `version`
  /// is the protocol version in effect: a CONNECT's, even one whose body
  /// failed. Reported once: the connection is closed when this returns (by
  /// the owner, after any last packet it sends, or else by the connection).
  virtual void on_parse_error(const mqtt::Error& error, mqtt::ProtocolVersion version) = 0;
  /// The connection cannot go on. Closed when this returns, as above.
  virtual void on_connection_lost(ConnectionLoss loss) = 0;
  /// Read nothing more for now: the peer's bytes wait in the kernel and TCP
  /// slows the peer down. What was read already is still decoded.
  virtual bool reading_paused() const { return false; }
  /// Decode nothing for now, and read nothing: what was read waits in the
  /// connection, in order, until Connection::replay_held.
  virtual bool input_waits() const { return false; }
  virtual Metrics& metrics() = 0;
  virtual const Limits& limits() const = 0;

 private:
  // What a connection uses of its owner's process, and nothing else of it.
  friend class Connection;
  void charge(std::uint32_t reductions) { consume(reductions); }
  bool out_of_budget() const { return should_yield(); }
  void read_later() { send<ReadMore>(self()); }
  /// The owner's loop time, ms.
  std::uint64_t loop_ms() const;
  /// A socket on the owner's loop, reporting to the owner.
  net::Socket* adopt(int fd);
};

/// Owner-only (its owner's handlers, on the owner's scheduler).
class Connection {
 public:
  /// No connection (a session restored offline).
  Connection() = default;
  /// `fd`: a connected, non-blocking socket, ours from now on, adopted by
  /// open(). `slot`: its place in the connection counts (none for one the
  /// broker opened). `parsing`: the packet size limit and the side whose
  /// rules apply (connect_first: a server reading a client).
  Connection(int fd, ConnectionSlot slot, mqtt::ParserOptions parsing)
      : slot_(std::move(slot)), parser_(parsing), fd_(static_cast<std::uint32_t>(fd)), owns_fd_(true) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  /// Closes a descriptor never adopted; an open stream must have been
  /// closed by the owner (it belongs to the owner's loop).
  ~Connection();

  /// Adopts the descriptor on the owner's scheduler, wrapped by `transport`
  /// (TLS, WebSocket; null: plain TCP). The first read is armed.
  void open(ConnectionOwner& owner, const net::Transport* transport);
  /// Opened and not closed yet.
  bool is_open() const { return stream_ != nullptr; }

  // ---- input ----
  /// Reads and decodes until the socket has nothing more, input must wait,
  /// reading is paused, or the owner's budget is spent (a ReadMore follows).
  void read(ConnectionOwner& owner);
  /// Decodes what was held while input waited, in order (it may wait again,
  /// holding the rest). False if the connection closed meanwhile.
  bool replay_held(ConnectionOwner& owner);
  /// Asks for a SocketReady when the peer sends more.
  void want_read();
  /// The protocol version of the packets to come (set from CONNECT).
  void set_version(mqtt::ProtocolVersion version) { parser_.set_version(version); }
  /// Loop time (ms) of the last packet read, or of open() before any.
  std::uint64_t last_read_ms() const { return last_read_ms_; }

  // ---- output ----
  /// Encodes a packet for the next flush; false if it could not be encoded.
  /// Nothing, and true, once closed.
  [[nodiscard]] bool send(const mqtt::Packet& packet, mqtt::ProtocolVersion version);
  /// A PUBLISH: its header encoded here, its payload shared, not copied.
  [[nodiscard]] bool send_publish(const mqtt::PublishHeader& header, const mqtt::SharedBytes& payload,
                                  mqtt::ProtocolVersion version);
  /// Bytes sent and not yet taken by the socket.
  std::size_t pending_bytes() const { return out_.pending_bytes(); }
  /// Writes what the socket takes; the rest waits for writability. A peer
  /// gone, or one leaving more than the close backlog unread, is reported.
  void flush(ConnectionOwner& owner);

  /// Ends the connection: what is pending goes out if the peer still takes
  /// it, then the FIN; input held and the partial packet are dropped, the
  /// slot is given back. Reports nothing (a failed last write only says the
  /// peer is gone); safe to call again, and from inside any report.
  void close(ConnectionOwner& owner);

  // ---- the peer, for logs and authentication ----
  /// The descriptor, for logs (its number stays after close).
  int fd() const { return static_cast<int>(fd_); }
  /// Open, with the transport's handshake (TLS, WebSocket upgrade) not done.
  bool handshaking() const { return stream_ != nullptr && !stream_->established(); }
  /// While open: "address:port" of the peer, and the transport ("tcp", "tls", "ws", "wss").
  std::string peer() const { return stream_->peer(); }
  const char* kind() const { return stream_->kind(); }
  /// The Common Name of the peer's verified certificate; empty without one or once closed.
  std::string peer_identity() const { return stream_ != nullptr ? stream_->peer_identity() : std::string{}; }
  /// Why the peer is no longer accepted (its certificate listed by a CRL
  /// reloaded since its handshake); empty while it is, or once closed.
  std::string revoked() const { return stream_ != nullptr ? stream_->revoked() : std::string{}; }
  const ConnectionSlot& slot() const { return slot_; }
  /// The version of the limits it was accepted under (LimitsInForce): its
  /// owner's limits for its whole life, across reloads.
  std::uint16_t limits_version() const { return limits_version_; }
  void set_limits_version(std::uint16_t v) { limits_version_ = v; }

 private:
  /// Decodes `bytes`; false once the connection closed (or failed to parse).
  bool feed(ConnectionOwner& owner, std::span<const std::uint8_t> bytes);
  /// Tells the owner; closes the connection if the owner did not.
  void lost(ConnectionOwner& owner, ConnectionLoss loss);

  net::Stream* stream_ = nullptr;  ///< null before open() and after close()
  ConnectionSlot slot_;
  mqtt::Parser parser_;  ///< the partial packet between reads, no more
  OutQueue out_;  ///< one null pointer while idle
  std::uint32_t fd_ : 31 = 0;  ///< descriptors are below INT_MAX
  bool owns_fd_ : 1 = false;   ///< not adopted by open() yet: close() closes it
  std::uint16_t limits_version_ = 0;  ///< in the hole before last_read_ms_: no bytes more
  std::uint64_t last_read_ms_ = 0;
  /// Read while input had to wait (ConnectionOwner::input_waits): rare, so
  /// on the heap.
  std::unique_ptr<std::vector<std::uint8_t>> held_;
};

}  // namespace actormq::core
