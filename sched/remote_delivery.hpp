#pragma once
// The runtime's door to other nodes. A pid names a process anywhere
// ({node, serial}); the process table knows only this node's processes, so
// every message and signal for a pid of another node goes through the one
// RemoteDelivery registered on the Runtime (bridge/dist implements it).
// Without one, such a send is a counted, reported drop (Runtime::remote_dropped).

#include "sched/message.hpp"
#include "sched/pid.hpp"

namespace actormq::sched {

class RemoteDelivery {
 public:
  virtual ~RemoteDelivery() = default;

  /// Thread-safe: called on any scheduler's thread and from outside the
  /// runtime. Takes `msg` for `to`, whose node is not the local one. `msg`
  /// is an ordinary message or one of the runtime's own: a signal
  /// (signals.hpp: Link, Unlink, Exit, Monitor, Demonitor; `msg.urgent()`)
  /// or a DownMsg; each must reach the same process API on `to`'s node.
  /// False: `to`'s node cannot be reached; the message is dropped and
  /// counted, and a link or monitor that it carried fires at once with
  /// reason noconnection (as in Erlang).
  virtual bool send(Pid to, MessagePtr msg) = 0;

  /// Thread-safe. True while the way to `to`'s node holds more than it
  /// should (Erlang's busy distribution port): a process that has just sent
  /// there is suspended once its current message is handled, until the
  /// way drains, instead of the buffer growing without bound.
  virtual bool busy(Pid /*to*/) const { return false; }
  /// Thread-safe. `waiter` is suspended because the way to `to` was busy:
  /// call Runtime::resume(waiter) once it is not, or once the node is gone
  /// (at once if it is neither busy nor known any more).
  virtual void wait(Pid /*to*/, Pid /*waiter*/) {}
};

}  // namespace actormq::sched
