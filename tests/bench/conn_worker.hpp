#pragma once
// One forked worker of the conn scenario: opens its share of the connections, holds
// them idle (PINGREQ per keepalive) until told to stop, then disconnects. With a
// filter each connection subscribes to its own topic and counts the messages that
// reach it (the stamp's sequence number names the connection it is meant for). It
// talks to the parent through two pipes, one line per message:
//   worker -> parent  "READY connected=N failed=N subscribed=N done_ns=T cpu_s=S hist=H"
//                     "RECV received=N duplicates=N misdelivered=N" (as they change)
//                     "DONE dropped=N received=N duplicates=N misdelivered=N cpu_s=S"
//                     "LIVE live=N drops=N reconnects=N back_ns=T at_ns=T" (with reconnect,
//                     every 50 ms: connected now, drops and reconnections so far, the
//                     last reconnection's CONNACK, the time of the count)
//                     "STORM ..." (after a storm, with each LIVE line: storm.hpp)
//   parent -> worker  'S' (with reconnect): a reconnect storm, every live connection
//                     reset at once; any other byte, or EOF: disconnect and finish.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/bench/options.hpp"

namespace mqttbench {

struct ConnWorkerTask {
    uint64_t first_index = 0;   // global index of this worker's first connection
    uint64_t count = 0;
    double rate = 0;            // this worker's share of the connect rate
    uint64_t start_ns = 0;      // common start time, CLOCK_MONOTONIC
    int control_fd = -1;        // read end, from the parent
    int report_fd = -1;         // write end, to the parent
    std::vector<uint16_t> ports;  // connection i goes to ports[i % size]; empty: common.port
    std::string filter;         // each connection subscribes to it (%i: global index); empty: none
    uint8_t sub_qos = 1;
    double reconnect_s = -1;    // >= 0: a dropped connection reconnects after this
                                // (plus as much again at random), as clients do
};

/// Runs in the child process; returns its exit status.
[[nodiscard]] int run_conn_worker(const CommonOptions& common, const ConnWorkerTask& task);

}  // namespace mqttbench
