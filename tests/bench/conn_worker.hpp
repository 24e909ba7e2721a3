#pragma once
// One forked worker of the conn scenario: opens its share of the connections, holds
// them idle (PINGREQ per keepalive) until told to stop, then disconnects. It talks
// to the parent through two pipes, one line per message:
//   worker -> parent  "READY connected=N failed=N done_ns=T cpu_s=S hist=H"
//                     "DONE dropped=N cpu_s=S"
//   parent -> worker  any byte, or EOF: disconnect and finish.

#include <cstdint>

#include "tests/bench/options.hpp"

namespace mqttbench {

struct ConnWorkerTask {
    uint64_t first_index = 0;   // global index of this worker's first connection
    uint64_t count = 0;
    double rate = 0;            // this worker's share of the connect rate
    uint64_t start_ns = 0;      // common start time, CLOCK_MONOTONIC
    int control_fd = -1;        // read end, from the parent
    int report_fd = -1;         // write end, to the parent
};

/// Runs in the child process; returns its exit status.
[[nodiscard]] int run_conn_worker(const CommonOptions& common, const ConnWorkerTask& task);

}  // namespace mqttbench
