#!/usr/bin/python3
"""Soak test of actormq: a fresh broker with tcp, tls, ws and wss listeners,
a password file and ACL (reloaded by SIGHUP every minute) and a data_dir with
durability batch, under a mixed load for --minutes (scripts/soak.sh runs it):
connect churn over all four transports (paho, plus mqttbench connect bursts),
takeovers, clean and persistent sessions, QoS 0/1/2 traffic (paho and
mqttbench), retained messages set, replaced and cleared, wills, slow and
stalled subscribers. Passes (exit 0) only if:

- the broker never crashed: it still runs at the end, its log holds no
  "crashed" and no sanitizer report, it stops on SIGTERM with exit 0 and
  starts again on its store;
- no acknowledged message was lost (ledger.py): every QoS 1/2 number whose
  PUBACK/PUBCOMP the ledger publishers received reached both persistent
  ledger subscribers (QoS 2: exactly once) by the end of the drain;
- memory is flat after warm-up: with RSS sampled every 10 s, the highest
  VmRSS over the last two thirds of the run is at most max(4 MiB, 5 %) above
  the VmRSS at the end of the first third. Over a 30-minute run that leaves
  20 minutes for a leak to show: 300 KB/min adds 6 MB and fails the run for a
  broker of up to 120 MB, while the bound is still above the swings of a
  steady broker (connection bursts, queues that fill and drain). Runs under
  15 minutes print the figures without judging them: they are still warming
  up at the end of their first third;
- the other checks found nothing: retained state seen by a fresh wildcard
  subscriber equals what was left, every will of a client that dropped
  arrived, takeovers close the first connection, stalled clients are dropped
  at keep-alive expiry, persistent sessions are present on reconnect.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import clients  # noqa: E402  (puts tests/integration on sys.path)
import harness  # noqa: E402
import tls_util  # noqa: E402
from churn import ChurnWorker, WillWatcher  # noqa: E402
from ledger import LedgerPublisher, LedgerSubscriber, drain  # noqa: E402
from load import Bench, SlowSubscriber, Stalled, BULK  # noqa: E402
from monitor import Hup, Sampler, memory_verdict  # noqa: E402
from retained import RetainedWorker  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--actormq", required=True)
    ap.add_argument("--mqttbench", required=True)
    ap.add_argument("--drain", type=float, default=90, help="seconds allowed for the ledger to complete")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--broker-config", default="{}",
                    help='JSON merged into the broker config, e.g. \'{"durability": "sync"}\'')
    return ap.parse_args()


def write_files(work, pki):
    """Password file (one SHA-512-crypt user), ACL, config; returns the config and ports."""
    hashed = subprocess.run(["openssl", "passwd", "-6", clients.PASSWORD], capture_output=True,
                            text=True, check=True).stdout.strip()
    with open(os.path.join(work, "passwd"), "w") as f:
        f.write("%s:%s\n" % (clients.USER, hashed))
    with open(os.path.join(work, "acl"), "w") as f:
        f.write("topic readwrite #\n\nuser %s\ntopic readwrite #\n" % clients.USER)
    ports = {t: harness.free_port() for t in clients.TRANSPORTS}
    config = {
        "listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": ports["tcp"]},
                      pki.listener(ports["tls"], "tls"),
                      {"type": "ws", "bind": "127.0.0.1", "port": ports["ws"]},
                      pki.listener(ports["wss"], "wss")],
        "allow_anonymous": True,
        "password_file": os.path.join(work, "passwd"),
        "acl_file": os.path.join(work, "acl"),
        "data_dir": os.path.join(work, "data"),
        "durability": "batch",
        "log_level": "info",
    }
    return config, ports


def log_problems(text):
    bad = ("crashed", "AddressSanitizer", "LeakSanitizer", "runtime error:", "terminate called", "Segmentation")
    return [l for l in text.splitlines() if any(b in l for b in bad)]


def main():
    args = parse_args()
    random.seed(args.seed)
    harness.ACTORMQ = os.path.abspath(args.actormq)
    load_s = args.minutes * 60
    work = tempfile.mkdtemp(prefix="actormq-soak-")
    pki = tls_util.Pki("ec")
    config, ports = write_files(work, pki)
    config.update(json.loads(args.broker_config))
    broker = harness.Broker(config=config, port=ports["tcp"])
    ctx = clients.Context(ports, pki.context(), load_s)
    ctx.broker_pid = broker.proc.pid
    procs = []
    stop_sampling = threading.Event()

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)  # also when started in the background (SIGINT ignored)
    workers, closers = [], []
    result = {}
    sampler = None
    try:
        ctx.log("broker pid %d, ports %s, work dir %s, load %.1f min" % (broker.proc.pid, ports, work, args.minutes))
        sampler = Sampler(ctx, broker.proc.pid, os.path.join(work, "data", "data.mdb"), stop_sampling)
        sampler.start()
        wills = WillWatcher(ctx)
        wills.start()
        closers.append(wills.close)
        pubs = [LedgerPublisher(ctx, "q1", 1, "tcp", True, 25), LedgerPublisher(ctx, "q2", 2, "tls", False, 25)]
        subs = [LedgerSubscriber(ctx, "soak-ledger-sub-a", "tcp", False),
                LedgerSubscriber(ctx, "soak-ledger-sub-b", "ws", True)]
        for s in subs:
            s.start()
        for s in subs:
            s.subscribed.wait(15)
        bench = Bench(ctx, args.mqttbench, pki.path("ca.crt"), procs)
        slow = [SlowSubscriber(ctx, "soak-slow-0", "wss", False, BULK, 0, 0.02, 0),
                SlowSubscriber(ctx, "soak-slow-1", "ws", True, "soak/mixed/#", 1, 0.005, 15)]
        stalled = Stalled(ctx)
        closers += [s.close for s in slow] + [stalled.close]
        workers += pubs + slow + [stalled, RetainedWorker(ctx), Hup(ctx, broker.proc.pid)]
        workers += [ChurnWorker(ctx, wills, i) for i in range(4)]
        workers += [threading.Thread(target=f, daemon=True, name=n) for f, n in
                    ((bench.pairs_loop, "bench-pairs"), (bench.conn_loop, "bench-conn"),
                     (lambda: bench.bulk(load_s - 5), "bench-bulk"))]
        for w in workers:
            w.start()
        next_status = time.time() + 60
        while time.time() < ctx.load_end:
            if not broker.alive():
                ctx.problem("the broker exited during the load (code %s)" % broker.proc.returncode)
                break
            if time.time() >= next_status:
                ctx.log("status: %s" % ", ".join("%s=%d" % kv for kv in sorted(ctx.counters.items())))
                next_status += 60
            time.sleep(1)
        ctx.load_done.set()
        ctx.log("load over; draining the ledger (up to %d s)" % args.drain)
        acked, lost, dup2, details = drain(ctx, pubs, subs, args.drain)
        for d in details:
            ctx.problem("ledger: " + d)
        end = time.time() + 60
        for w in workers:
            w.join(max(0.1, end - time.time()))
        result.update(acked=acked, lost=lost, dup2=dup2)
        result.update(missing_wills=wills.missing())
        stop_sampling.set()
        sampler.join(15)
        final_checks(ctx, broker, subs, closers, config, ports)
    except KeyboardInterrupt:
        ctx.abort.set()
        ctx.problem("interrupted")
    finally:
        ctx.abort.set()
        ctx.load_done.set()
        stop_sampling.set()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if broker.alive():
            broker.stop()
        tls_util.cleanup()
    return report(ctx, args, result, sampler.samples if sampler else [], load_s, work, broker)


def final_checks(ctx, broker, subs, closers, config, ports):
    missing = []
    for close in closers + [s.close for s in subs]:
        try:
            close()
        except (OSError, ValueError):
            pass
    if not broker.alive():
        ctx.problem("the broker is not running at the end (code %s)" % broker.proc.returncode)
        return
    # Still answering: a fresh client connects over every listener.
    for t in clients.TRANSPORTS:
        c = clients.new_client(ctx, "soak-final-" + t, t, False)
        done = []
        c.on_connect = lambda *a: done.append(a[3])
        clients.start_connect(ctx, c, keepalive=10)
        clients.pump([c], 10, lambda: done)
        if done != [0]:
            missing.append(t)
        c.disconnect()
        clients.pump([c], 1)
        c._sock_close()
    if missing:
        ctx.problem("no CONNACK at the end over %s" % missing)
    code = broker.stop(signal.SIGTERM, timeout=30)
    if code != 0:
        ctx.problem("the broker exited with %s on SIGTERM" % code)
    for l in log_problems(broker.output()):
        ctx.problem("broker log: " + l)
    reloads = broker.output().count("received SIGHUP")
    if reloads < ctx.get("sighups"):
        ctx.problem("%d SIGHUPs sent, %d reloads logged" % (ctx.get("sighups"), reloads))
    # Its store opens again and the ledger sessions are in it.
    again = harness.Broker(config=config, port=ports["tcp"])
    try:
        c = clients.new_client(ctx, subs[0].cid, "tcp", False, clean=False)
        seen = []
        c.on_connect = lambda c_, u, flags, rc: seen.append((flags.get("session present"), rc))
        clients.start_connect(ctx, c, keepalive=10)
        clients.pump([c], 10, lambda: seen)
        if not seen or seen[0] != (1, 0):
            ctx.problem("after a restart %s got CONNACK %r, not a present session" % (subs[0].cid, seen))
        c.disconnect()
        clients.pump([c], 1)
        c._sock_close()
    finally:
        if again.stop() != 0:
            ctx.problem("the restarted broker exited with %s" % again.proc.returncode)
        for l in log_problems(again.output()):
            ctx.problem("restarted broker log: " + l)


def report(ctx, args, result, samples, load_s, work, broker):
    start, peak, end, bound, mem_ok = memory_verdict(samples, load_s)
    acked, lost, dup2 = result.get("acked", 0), result.get("lost", -1), result.get("dup2", -1)
    missing_wills = result.get("missing_wills", [])
    if missing_wills:
        ctx.problem("%d wills never arrived (first %s)" % (len(missing_wills), missing_wills[:5]))
    if mem_ok is False:
        ctx.problem("memory: max VmRSS %d kB after the first third is above the bound %d kB "
                    "(start %d kB + max(4 MiB, 5 %%))" % (peak, bound, start))
    print("SOAK counters " + " ".join("%s=%d" % kv for kv in sorted(ctx.counters.items())))
    verdict = {True: "yes", False: "no", None: "not judged (run under 15 minutes)"}[mem_ok]
    print("SOAK memory rss_start_kb=%d rss_max_kb=%d rss_end_kb=%d bound_kb=%d flat=%s" %
          (start, peak, end, bound, verdict))
    for p in ctx.problems:
        print("SOAK problem: " + p)
    ok = not ctx.problems and lost == 0 and dup2 == 0 and mem_ok is not False
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    else:
        with open(os.path.join(work, "broker.log"), "w") as f:
            f.write(broker.output())
        print("SOAK kept %s (broker.log)" % work)
    print("SOAK result=%s minutes=%g msgs_acked=%d lost=%d dup_qos2=%d rss_start_kb=%d rss_max_kb=%d "
          "rss_end_kb=%d" % ("pass" if ok else "fail", args.minutes, acked, lost, dup2, start, peak, end),
          flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
