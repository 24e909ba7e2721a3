#pragma once
// Command-line options of mqttbench, grouped by the scenarios that use them.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/bench/wire.hpp"

namespace mqttbench {

/// Options every scenario understands.
struct CommonOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 1883;
    int protocol = 4;               // CONNECT protocol level: 4 (3.1.1) or 5
    pid_t broker_pid = 0;           // 0: broker CPU and memory not reported
    uint16_t keepalive_s = 60;
    uint32_t sources = 1;           // clients bind to 127.0.0.1 .. 127.0.0.<sources>
    double connect_rate = 0;        // new connections per second while setting up; 0 = no pacing
    // Connections awaiting CONNACK at once (conn: in total over its workers). Above a
    // broker's listen backlog (mosquitto: 100) SYNs are dropped and retried after 1 s.
    uint32_t max_pending = 64;
    double setup_timeout_s = 60;    // connect and subscribe phase bound
    uint64_t max_errors = 0;        // exit non-zero above this many failed or dropped clients
    std::string client_prefix = "mqttbench";
    bool persistent = false;        // CONNECT with clean session/start 0 (traffic scenarios)
    bool quiet = false;             // no progress lines on stderr
    bool tls = false;               // speak TLS (mbedTLS client); implied by --cafile
    std::string cafile;             // verify the broker's certificate against these CAs
    std::string cert;               // client certificate (PEM)
    std::string key;                // its key

    [[nodiscard]] Version version() const { return protocol == 5 ? Version::v5 : Version::v311; }
};

/// Publishers and subscribers: pub, sub, fanin, fanout, pairs.
struct TrafficOptions {
    uint32_t publishers = 1;
    uint32_t subscribers = 1;
    double rate = 0;                // messages/s per publisher; 0 = as fast as the window allows
    int qos = 0;                    // publish QoS
    int sub_qos = -1;               // subscription QoS; -1 = same as qos
    size_t payload = 64;            // bytes, at least the 16-byte stamp
    std::string topic;              // %i = publisher index
    std::string filter;             // %i = subscriber index
    double duration_s = 10;         // publishing time
    uint64_t count = 0;             // messages per publisher; 0 = bounded by duration only
    uint32_t inflight = 64;         // QoS 1/2 publishes awaiting ack per publisher
    size_t max_queued_bytes = 64 * 1024;  // QoS 0 back-pressure: unwritten bytes per publisher
    double drain_s = 3;             // wait this long without progress for late messages
                                    // (and at most max(drain_s, duration_s) in all)
    std::vector<uint16_t> sub_ports;  // subscribers connect here, in turn (nodes of a
                                      // cluster); empty: to --port, as publishers do
    double settle_s = 0;            // wait after the subscriptions before publishing
                                    // (a cluster's routes reach the other nodes)
    std::string latency_log;        // each delivery's send time and latency, one line
                                    // each (latency_log.hpp); empty: none
};

/// conn: many idle connections.
struct ConnOptions {
    uint64_t connections = 1000;
    double hold_s = 5;              // idle time once all are connected
    uint32_t per_worker = 15000;    // sockets per worker process (20,000 open files per process)
    uint32_t workers = 0;           // 0: enough for per_worker, and at least one per CPU
    std::vector<uint16_t> ports;    // connection i goes to ports[i % size] (a cluster's
                                    // nodes); empty: --port
    std::string filter;             // each connection subscribes to its own topic (%i:
                                    // its index, %r: run id); empty: no subscriptions
    int sub_qos = 1;
    uint64_t publish = 0;           // after the hold: QoS 1 messages to this many distinct
                                    // random connections' topics, from one more client
    uint16_t pub_port = 0;          // where that client connects; 0: --port
    uint64_t seed = 0;              // of the random choice; 0: from the clock
    double drain_s = 10;            // wait this long without progress for the deliveries
    double reconnect_s = -1;        // >= 0: a dropped connection reconnects after this
                                    // many seconds plus as much again at random
    std::string disrupt;            // once all are connected: run this shell command (a
                                    // broker upgrade or restart) and time until every
                                    // connection is back (needs reconnect_s)
    double storm_after_s = -1;      // >= 0: once all are connected and this many seconds
                                    // more have passed, every connection is reset at once
                                    // and reconnects (needs reconnect_s); time until all
                                    // are back
};

/// retained: N retained messages, then one wildcard subscriber.
struct RetainedOptions {
    uint64_t messages = 10000;
    size_t payload = 64;
    int qos = 1;
    uint32_t inflight = 256;
    std::string prefix = "bench/retained";
    bool keep = false;              // leave the messages on the broker afterwards
    double timeout_s = 60;
};

}  // namespace mqttbench
