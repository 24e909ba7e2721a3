// mqttbench: an MQTT load generator. One subcommand per scenario; every run ends
// with one "RESULT key=value ..." line on stdout (progress goes to stderr).

#include <CLI/CLI.hpp>

#include <csignal>

#include "tests/bench/options.hpp"
#include "tests/bench/tls.hpp"
#include "tests/bench/scenarios.hpp"

using namespace mqttbench;

namespace {

void add_common(CLI::App* app, CommonOptions& c) {
    app->add_option("--host", c.host, "broker IPv4 address")->capture_default_str();
    app->add_option("-p,--port", c.port, "broker port")->capture_default_str();
    app->add_option("-V,--protocol", c.protocol, "MQTT protocol level: 4 (3.1.1) or 5")
        ->check(CLI::IsMember({4, 5}))->capture_default_str();
    app->add_option("--broker-pid", c.broker_pid, "report this process's CPU and resident memory");
    app->add_option("-k,--keepalive", c.keepalive_s, "keepalive seconds")->capture_default_str();
    app->add_option("--sources", c.sources, "spread clients over source addresses 127.0.0.1..127.0.0.K")
        ->check(CLI::Range(1, 254))->capture_default_str();
    app->add_option("--connect-rate", c.connect_rate, "new connections per second (0: unpaced)")
        ->capture_default_str();
    app->add_option("--max-pending", c.max_pending, "connections awaiting CONNACK at once (conn: over all workers)")
        ->check(CLI::PositiveNumber)->capture_default_str();
    app->add_option("--setup-timeout", c.setup_timeout_s, "seconds to connect and subscribe everyone")
        ->capture_default_str();
    app->add_option("--max-errors", c.max_errors, "exit 1 above this many failed or dropped clients")
        ->capture_default_str();
    app->add_option("--client-prefix", c.client_prefix, "client id prefix")->capture_default_str();
    app->add_flag("-q,--quiet", c.quiet, "no progress lines on stderr");
    app->add_flag("--tls", c.tls, "connect with TLS 1.2 (mbedTLS); without --cafile the broker is not verified");
    app->add_option("--cafile", c.cafile, "PEM CA certificates to verify the broker with (implies --tls)");
    app->add_option("--cert", c.cert, "PEM client certificate (with --key)");
    app->add_option("--key", c.key, "PEM private key of --cert");
    app->add_flag("--persistent", c.persistent,
                  "traffic scenarios: connect with clean session 0 (3.1.1; persistent sessions)");
}

void add_traffic(CLI::App* app, TrafficOptions& t, bool pubs, bool subs) {
    if (pubs) {
        app->add_option("-P,--publishers", t.publishers, "publisher connections")->capture_default_str();
        app->add_option("-r,--rate", t.rate, "messages/s per publisher (0: as fast as the window allows)")
            ->capture_default_str();
        app->add_option("-s,--size", t.payload, "payload bytes (>= 16: timestamp, publisher, sequence)")
            ->check(CLI::Range(size_t{16}, size_t{16} << 20))->capture_default_str();
        app->add_option("-t,--topic", t.topic, "publish topic; %i: publisher index, %r: run id");
        app->add_option("--inflight", t.inflight, "QoS 1/2 publishes awaiting ack per publisher")
            ->check(CLI::PositiveNumber)->capture_default_str();
        app->add_option("--max-queued-bytes", t.max_queued_bytes, "QoS 0: unwritten bytes per publisher before pausing")
            ->capture_default_str();
    }
    if (subs) {
        app->add_option("-S,--subscribers", t.subscribers, "subscriber connections")->capture_default_str();
        app->add_option("--sub-ports", t.sub_ports, "subscribers connect to these ports in turn (a cluster's nodes)")
            ->delimiter(',');
        app->add_option("--settle", t.settle_s, "seconds to wait after subscribing, before publishing")
            ->capture_default_str();
        app->add_option("-f,--filter", t.filter, "subscription filter; %i: subscriber index, %r: run id");
        app->add_option("--sub-qos", t.sub_qos, "subscription QoS (default: --qos)")->check(CLI::Range(0, 2));
    }
    app->add_option("-Q,--qos", t.qos, "publish QoS")->check(CLI::Range(0, 2))->capture_default_str();
    app->add_option("-d,--duration", t.duration_s, "seconds of publishing (or listening)")->capture_default_str();
    app->add_option("-c,--count", t.count, "messages per publisher (sub: in total); 0 = duration only")
        ->capture_default_str();
    app->add_option("--drain", t.drain_s, "seconds without progress before giving up on late messages")
        ->capture_default_str();
    app->add_option("--latency-log", t.latency_log,
                    "write each delivery's send time and latency (ns) to this file; SIGUSR1 ends publishing");
}

}  // namespace

int main(int argc, char** argv) {
    // A broker that closes a socket must not kill the generator.
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app{"mqttbench: MQTT 3.1.1/5.0 load generator; every run ends with one RESULT line"};
    app.require_subcommand(1);
    CommonOptions common;
    // One set per subcommand so each shows and keeps its own defaults.
    TrafficOptions pub_t;
    TrafficOptions sub_t;
    TrafficOptions fanin_t;
    fanin_t.publishers = 8;
    TrafficOptions fanout_t;
    fanout_t.subscribers = 100;
    TrafficOptions pairs_t;
    pairs_t.rate = 10;
    ConnOptions conn;
    RetainedOptions retained;
    uint32_t pair_clients = 100;
    int status = 0;
    // Before any scenario runs: the TLS options are read by every connection.
    auto tls = [&] {
        set_tls_options(TlsOptions{common.tls || !common.cafile.empty(), common.cafile, common.cert, common.key});
    };

    auto* c = app.add_subcommand("conn", "N idle connections: connect rate, failures, broker memory per connection");
    add_common(c, common);
    c->add_option("-n,--connections", conn.connections, "connections")->capture_default_str();
    c->add_option("--hold", conn.hold_s, "seconds to keep them idle once all are connected (SIGUSR1 ends it sooner)")
        ->capture_default_str();
    c->add_option("--per-worker", conn.per_worker, "connections per forked worker process")
        ->check(CLI::Range(1, 19000))->capture_default_str();
    c->add_option("--workers", conn.workers, "worker processes (0: per --per-worker, at least one per CPU)")
        ->capture_default_str();
    c->add_option("--ports", conn.ports, "connections go to these ports in turn (a cluster's nodes)")
        ->delimiter(',');
    c->add_option("--subscribe", conn.filter, "each connection subscribes to this topic; %i: its index, %r: run id");
    c->add_option("--sub-qos", conn.sub_qos, "subscription QoS")->check(CLI::Range(0, 2))->capture_default_str();
    c->add_option("--publish", conn.publish,
                  "after the hold, QoS 1 messages to this many distinct random connections' topics (needs --subscribe)")
        ->capture_default_str();
    c->add_option("--pub-port", conn.pub_port, "the publishing client connects here (0: --port)")->capture_default_str();
    c->add_option("--seed", conn.seed, "seed of the random choice (0: from the clock)")->capture_default_str();
    c->add_option("--drain", conn.drain_s, "seconds without progress before giving up on deliveries")
        ->capture_default_str();
    c->add_option("--reconnect", conn.reconnect_s,
                  "a dropped connection reconnects after this many seconds plus as much again at random")
        ->check(CLI::Range(0.0, 3600.0));
    c->add_option("--disrupt", conn.disrupt,
                  "once all are connected, run this shell command and time until every connection is back "
                  "(needs --reconnect); the hold follows");
    c->add_option("--storm", conn.storm_after_s,
                  "reconnect storm: this many seconds after all are connected, reset every connection at once "
                  "(no DISCONNECT) and time until all are back (needs --reconnect, e.g. 0); the hold follows")
        ->check(CLI::Range(0.0, 3600.0));
    c->callback([&] {
        if (!conn.disrupt.empty() && conn.reconnect_s < 0) {
            throw CLI::ValidationError("--disrupt", "needs --reconnect");
        }
        if (conn.storm_after_s >= 0 && (conn.reconnect_s < 0 || !conn.disrupt.empty())) {
            throw CLI::ValidationError("--storm", "needs --reconnect and excludes --disrupt");
        }
        tls();
        status = run_conn(common, conn);
    });

    auto* pub = app.add_subcommand("pub", "publishers only");
    add_common(pub, common);
    add_traffic(pub, pub_t, true, false);
    pub->callback([&] { tls(); status = run_pub(common, pub_t); });

    auto* sub = app.add_subcommand("sub", "subscribers only (e.g. for a pub run in another process)");
    add_common(sub, common);
    add_traffic(sub, sub_t, false, true);
    sub->callback([&] { tls(); status = run_sub(common, sub_t); });

    auto* fanin = app.add_subcommand("fanin", "P publishers on their own topics, S wildcard subscribers");
    add_common(fanin, common);
    add_traffic(fanin, fanin_t, true, true);
    fanin->callback([&] { tls(); status = run_fanin(common, fanin_t); });

    auto* fanout = app.add_subcommand("fanout", "P publishers, S subscribers on one topic");
    add_common(fanout, common);
    add_traffic(fanout, fanout_t, true, true);
    fanout->callback([&] { tls(); status = run_fanout(common, fanout_t); });

    auto* pairs = app.add_subcommand("pairs", "N clients, each subscribed to its own topic, publishing to the next");
    add_common(pairs, common);
    pairs->add_option("-n,--clients", pair_clients, "clients")->check(CLI::PositiveNumber)->capture_default_str();
    add_traffic(pairs, pairs_t, true, false);
    pairs->callback([&] { tls(); status = run_pairs(common, pairs_t, pair_clients); });

    auto* ret = app.add_subcommand("retained", "store N retained messages, time a wildcard subscriber receiving them");
    add_common(ret, common);
    ret->add_option("-n,--messages", retained.messages, "retained messages")->capture_default_str();
    ret->add_option("-s,--size", retained.payload, "payload bytes")->check(CLI::Range(size_t{16}, size_t{16} << 20))
        ->capture_default_str();
    ret->add_option("-Q,--qos", retained.qos, "QoS used to store them")->check(CLI::Range(0, 2))->capture_default_str();
    ret->add_option("--inflight", retained.inflight, "QoS 1/2 stores awaiting ack")->check(CLI::PositiveNumber)
        ->capture_default_str();
    ret->add_option("--prefix", retained.prefix, "topic prefix (a per-run level is added)")->capture_default_str();
    ret->add_flag("--keep", retained.keep, "leave the messages on the broker");
    ret->add_option("--timeout", retained.timeout_s, "seconds for each phase")->capture_default_str();
    ret->callback([&] { tls(); status = run_retained(common, retained); });

    auto* win = app.add_subcommand("window", "latency percentiles of a --latency-log file over spans of send times");
    std::string log_path;
    std::vector<std::string> spans;
    win->add_option("log", log_path, "a file written by --latency-log")->required();
    win->add_option("--span", spans, "NAME:FROM_NS:TO_NS (CLOCK_MONOTONIC send times, half-open); repeatable")
        ->required();
    win->callback([&] { status = run_window(log_path, spans); });

    CLI11_PARSE(app, argc, argv);
    return status;
}
