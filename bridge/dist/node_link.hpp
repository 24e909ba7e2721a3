#pragma once
// The process of one node link: a TCP connection to another node, dialled
// (outgoing) or accepted. It runs the handshake (handshake.hpp) under a
// deadline, then carries frames both ways: what local processes send to the
// peer's pids arrives in its mailbox (Outgoing, from Node::send) and is
// written into one frame per run, so a burst costs one write; what the peer
// sends is decoded (wire.hpp) and delivered to the local pids, in order.
// Ticks keep a quiet link alive; a link that reads nothing for
// node_down_after_ms is down, and the links and monitors that crossed it
// fire with reason noconnection (link_relations.hpp). A dialled link that fails or goes down dials
// again after a backoff; an accepted one ends.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bridge/dist/handshake.hpp"
#include "bridge/dist/link_relations.hpp"
#include "bridge/dist/node.hpp"
#include "bridge/dist/wire.hpp"
#include "net/dial.hpp"
#include "net/socket.hpp"
#include "sched/process.hpp"

namespace actormq::dist {

/// A message for a pid of the link's peer (Node::send).
struct Outgoing {
  sched::Pid to;
  sched::MessagePtr msg;
};

/// From a superseded link to the link that replaced it: the links and
/// monitors that crossed the old one go on over the new one.
struct InheritRelations {
  LinkRelations relations;
};

class NodeLink final : public sched::Process {
 public:
  /// Dials `to`; a `learnt` endpoint (from gossip) is given up after
  /// max_learnt_attempts failed dials in a row, a seed never.
  NodeLink(Node& node, Endpoint to, bool learnt);
  static constexpr int max_learnt_attempts = 5;
  /// Takes an accepted, non-blocking socket.
  NodeLink(Node& node, int fd);
  ~NodeLink() override;

 protected:
  void on_start() override;
  void on_message(sched::Message& msg) override;
  void after_run() override;
  void on_exit(const sched::ExitReason& reason) override;

 private:
  enum class State { connecting, handshaking, up, closing, waiting };
  struct Tick {
    std::uint32_t generation;
  };
  struct HandshakeDeadline {
    std::uint32_t generation;
  };
  struct Redial {};
  struct Linger {
    std::uint32_t generation;
  };
  struct ReadMore {};
  struct AddressResolved {
    std::uint32_t generation;
    std::optional<net::DialAddress> address;
    std::string error;
  };

  [[nodiscard]] HandshakeConfig handshake_config() const;
  // node_link_dial.cpp: the outward side.
  void dial();
  void on_resolved(const AddressResolved& r);
  void connect_to(const net::DialAddress& address);
  void on_socket(const net::SocketReady& ready);
  void on_connected();
  // node_link_io.cpp: frames in and out.
  void read();
  bool on_frame(std::string_view body);
  void on_handshake_step(Step step);
  void on_established(const Established& est);
  void on_outgoing(Outgoing& out);
  void on_tick(std::uint32_t generation);
  void send_gossip();
  /// Another link to the peer is kept: write a handover, read on for a while, then close.
  void linger();
  /// The peer acknowledged our handover, or this link ends: the heir may write.
  void release_heir();
  /// Our predecessor's handover was acknowledged: write what was held.
  void release_hold();
  bool on_gossip(std::string_view body);
  void send_names(const std::string& body);
  bool on_names(std::string_view body);
  void flush_frame();
  /// Queues bytes to write; while held, behind the predecessor's handover.
  void write(std::string bytes);
  /// Queues bytes to write, held or not (ticks, handover acknowledgements).
  void write_now(std::string bytes);
  void flush();
  /// Busy above busy_bytes unwritten, drained at half of it (Node::set_busy).
  void update_busy();
  /// The link is gone (`why` for the log): a dialled one waits and dials
  /// again (unless `final`), an accepted one ends.
  void lost(const std::string& why, bool final = false);
  void close_socket();
  /// Local processes hear of their links and monitors across the link: noconnection.
  void fire_noconnection();
  [[nodiscard]] std::string who() const;
  [[nodiscard]] std::uint64_t now_ms() const;

  Node& node_;
  const bool outgoing_;
  const bool learnt_ = false;
  int failed_dials_ = 0;  ///< in a row, since the link was last up
  Endpoint endpoint_;
  int fd_ = -1;  ///< accepted, until on_start adopts it
  net::Socket* socket_ = nullptr;  ///< the TCP socket (connect's outcome, its fd)
  net::Stream* stream_ = nullptr;  ///< what the link reads and writes: the socket, or TLS over it
  State state_ = State::connecting;
  std::uint32_t generation_ = 0;  ///< of the current connection: stale timers do nothing
  FrameReader reader_{handshake_max_frame};
  std::optional<Initiator> initiator_;
  std::optional<Acceptor> acceptor_;
  std::optional<NodeInfo> peer_;  ///< once established
  bool registered_ = false;       ///< Node::up accepted this link
  FrameBuilder builder_;
  LinkRelations relations_;
  std::string out_;  ///< bytes written to the socket only in part
  std::size_t out_pos_ = 0;
  std::uint64_t last_read_ms_ = 0;
  std::uint64_t last_write_ms_ = 0;
  std::uint32_t backoff_ms_ = 0;
  bool busy_ = false;
  bool superseded_ = false;  ///< another link to the peer is kept instead of this one
  bool held_ = false;        ///< kept after a handover that is not acknowledged yet
  std::string held_out_;     ///< written while held
  sched::Pid heir_;          ///< the link that waits for our handover's acknowledgement
  bool counted_up_ = false;  ///< counted in links_up, not yet in links_down
  std::uint32_t taken_ = 0;  ///< Outgoing taken this run, told to the node in after_run
};

}  // namespace actormq::dist
