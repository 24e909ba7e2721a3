"""Heavy and hostile load: mqttbench runs (pairs traffic at QoS 0/1/2 over
tcp and tls, connect bursts, a bulk QoS 0 stream, retained bursts), slow
subscribers (paho clients that read slowly or pause) and stalled subscribers
(raw sockets that never read again: the broker must drop them at keep-alive
expiry, or bound what it holds for them when they keep no keep-alive)."""

import random
import subprocess
import threading
import time

from clients import new_client, start_connect
from harness import RawClient, subscribe_packet

BULK = "soak/bulk"


class Bench:
    """Runs mqttbench subcommands; every process is in ctx.procs for cleanup."""

    def __init__(self, ctx, binary, cafile, procs):
        self.ctx, self.binary, self.cafile, self.procs = ctx, binary, cafile, procs

    def run(self, args, tls, timeout):
        ctx = self.ctx
        port = ctx.ports["tls" if tls else "tcp"]
        cmd = [self.binary] + args + ["-p", str(port), "-q"] + (["--cafile", self.cafile] if tls else [])
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            ctx.log("mqttbench %s: killed after %d s" % (args[0], timeout))
        line = next((l for l in out.splitlines() if l.startswith("RESULT")), None)
        if line is None:
            if not ctx.abort.is_set():
                ctx.log("mqttbench %s exit %s: %s" % (" ".join(args[:1]), p.returncode, err.strip()[-300:]))
            return {}
        return dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)

    def pairs_loop(self):
        ctx = self.ctx
        for i in range(10_000):
            left = ctx.load_end - time.time()
            if left < 15 or not ctx.loading():
                return
            tls = i % 4 == 3
            if i % 4 == 1:
                r = self.run(["retained", "-n", "2000", "-Q", "1", "--client-prefix", "soak-ret%d" % i], tls, 120)
                ctx.count("bench_retained_runs")
            qos, version = i % 3, 4 + i % 2
            d = min(60, left - 10)
            r = self.run(["pairs", "-n", "100", "-r", "3", "-Q", str(qos), "-V", str(version), "-d", "%.0f" % d,
                          "--drain", "5", "--client-prefix", "soak-pairs%d" % i], tls, d + 90)
            ctx.count("bench_pairs_runs")
            ctx.count("bench_msgs", int(r.get("received", 0)))
            lost = int(r.get("lost", 0))
            if lost and qos > 0:
                ctx.count("bench_lost_qos12", lost)
                ctx.log("mqttbench pairs qos=%d v=%d tls=%s: lost=%d of expected=%s" %
                        (qos, version, tls, lost, r.get("expected")))

    def conn_loop(self):
        ctx = self.ctx
        for i in range(10_000):
            if not ctx.sleep(30) or ctx.load_end - time.time() < 20:
                return
            r = self.run(["conn", "-n", "200", "--connect-rate", "100", "--hold", "2",
                          "--client-prefix", "soak-conn%d" % i], i % 2 == 1, 60)
            ctx.count("bench_conn_runs")
            ctx.count("bench_connections", 200)
            ctx.count("bench_connect_failed", int(r.get("failed", 0)))

    def bulk(self, seconds):
        """One publisher of 1 KiB QoS 0 messages at 150/s for the whole run."""
        self.run(["pub", "-P", "1", "-t", BULK, "-s", "1024", "-r", "150", "-Q", "0", "-d", "%.0f" % seconds,
                  "--client-prefix", "soak-bulk"], False, seconds + 60)


class SlowSubscriber(threading.Thread):
    """Reads `delay` s per message; now and then stops reading for `pause` s."""

    def __init__(self, ctx, cid, transport, v5, topic, qos, delay, pause):
        super().__init__(daemon=True, name="slow-" + cid)
        self.ctx, self.topic, self.qos, self.delay, self.pause = ctx, topic, qos, delay, pause
        self.received = 0
        self.next_pause = time.time() + random.uniform(20, 60)
        self.c = new_client(ctx, cid, transport, v5, clean=False)
        self.c.reconnect_delay_set(1, 2)
        self.c.on_connect = lambda c, *a: c.subscribe(topic, qos=qos)
        self.c.on_message = self._on_message

    def _on_message(self, c, u, m):
        self.received += 1
        time.sleep(self.delay)
        if self.pause and time.time() > self.next_pause and self.ctx.loading():
            self.ctx.count("slow_pauses")
            time.sleep(self.pause)
            self.next_pause = time.time() + random.uniform(30, 90)

    def run(self):
        start_connect(self.ctx, self.c, keepalive=60, session_expiry=600)
        self.c.loop_start()

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def broker_established(broker_port, local_port):
    """True while the broker's end of our connection is ESTABLISHED (ss)."""
    out = subprocess.run(["ss", "-Htn", "state", "established",
                          "( sport = :%d and dport = :%d )" % (broker_port, local_port)],
                         capture_output=True, text=True, timeout=10).stdout
    return bool(out.strip())


class Stalled(threading.Thread):
    """Subscribers that stop reading after their SUBACK. One without keep-alive
    stays the whole run (the broker must bound what it queues for it); every
    20 s another with a 10 s keep-alive, over tcp or tls, which also stops
    sending: 40 s later the broker must have closed it (MQTT-3.1.2-24: 1.5x)."""

    KEEPALIVE = 10

    def __init__(self, ctx):
        super().__init__(daemon=True, name="stalled")
        self.ctx = ctx
        self.socks = []

    def _open(self, cid, keepalive, tls, filters):
        port = self.ctx.ports["tls" if tls else "tcp"]
        rc = RawClient(port)
        if tls:
            rc.sock = self.ctx.tls.wrap_socket(rc.sock, server_hostname="127.0.0.1")
        local = rc.sock.getsockname()[1]
        ack = rc.connect(cid.encode(), keepalive=keepalive)
        rc.send(subscribe_packet(filters))
        if ack is None or ack[1][1] != 0 or rc.recv_packet() is None:
            self.ctx.problem("stalled subscriber %s: no CONNACK/SUBACK" % cid)
        self.socks.append(rc)
        return rc, port, local

    def run(self):
        ctx = self.ctx
        try:
            # QoS 0 only: a QoS 1 subscriber that never reads would (by design)
            # throttle its publishers for as long as it stays.
            self._open("soak-stalled-forever", 0, False, [(BULK.encode(), 0)])
            pending = []  # (check time, client, broker port, local port)
            for i in range(100_000):
                if not ctx.loading():
                    break
                if i % 20 == 0 and ctx.load_end - time.time() > 50:
                    rc, port, local = self._open("soak-stalled-%d" % i, self.KEEPALIVE, i % 40 == 20,
                                                [(BULK.encode(), 0), (b"soak/mixed/#", 1)])
                    pending.append((time.time() + 4 * self.KEEPALIVE, rc, port, local))
                    ctx.count("stalled_opened")
                now = time.time()
                for item in [p for p in pending if p[0] <= now]:
                    pending.remove(item)
                    _, rc, port, local = item
                    ctx.count("stalled_checked")
                    if broker_established(port, local):
                        ctx.problem("stalled subscriber on port %d (local %d) still connected %d s after "
                                    "its keep-alive of %d s" % (port, local, 4 * self.KEEPALIVE, self.KEEPALIVE))
                    rc.close()
                    self.socks.remove(rc)
                ctx.sleep(1)
        except (OSError, AssertionError) as e:
            ctx.problem("stalled subscribers: %r" % (e,))

    def close(self):
        for rc in self.socks:
            try:
                rc.close()
            except OSError:
                pass
