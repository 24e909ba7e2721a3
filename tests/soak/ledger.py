"""The ledger: dedicated publishers send numbered QoS 1 and QoS 2 messages
(a number counts once its PUBACK / PUBCOMP arrived) to dedicated persistent
subscribers that disconnect (cleanly or not) and come back now and then. By
the end every acknowledged number must have reached every subscriber, QoS 2
ones exactly once. The publishers drop their connection now and then too, so
QoS 2 resends (DUP PUBLISH, PUBREL) are exercised."""

import random
import threading
import time

from clients import drop, new_client, reason_value, start_connect

TOPIC = "soak/ledger/"
MAX_PENDING = 200  # unacknowledged publishes per publisher: bounds memory and keeps packet ids unique


class LedgerPublisher(threading.Thread):
    def __init__(self, ctx, stream, qos, transport, v5, rate):
        super().__init__(daemon=True, name="ledger-pub-" + stream)
        self.ctx, self.stream, self.qos, self.rate = ctx, stream, qos, rate
        self.acked = set()
        self.pending = []  # (number, MQTTMessageInfo)
        self.sent = 0
        self.c = new_client(ctx, "soak-ledger-pub-" + stream, transport, v5, clean=False)
        self.c.reconnect_delay_set(1, 2)

    def run(self):
        try:
            self._run()
        except Exception as e:  # a bug of the driver is a failed run, not a hang
            self.ctx.problem("ledger publisher %s: %r" % (self.stream, e))

    def _run(self):
        ctx, c = self.ctx, self.c
        start_connect(ctx, c, keepalive=20, session_expiry=3600)
        c.loop_start()
        period = 1.0 / self.rate
        next_t = time.time()
        next_drop = time.time() + random.uniform(30, 90)
        while ctx.loading():
            now = time.time()
            if now >= next_t:
                if len(self.pending) < MAX_PENDING:
                    n = self.sent
                    self.sent += 1
                    info = c.publish(TOPIC + self.stream, ("%s:%d" % (self.stream, n)).encode(), qos=self.qos)
                    self.pending.append((n, info))
                next_t = max(next_t + period, now - 1.0)
            if now >= next_drop:
                drop(c)  # paho reconnects and resends what is unacknowledged
                ctx.count("ledger_publisher_drops")
                next_drop = now + random.uniform(30, 90)
            self._collect()
            time.sleep(max(0.0, min(0.05, next_t - time.time())))
        end = time.time() + 30  # acknowledgements still on their way
        while self.pending and time.time() < end and not ctx.abort.is_set():
            self._collect()
            time.sleep(0.1)
        self._collect()
        c.disconnect()
        c.loop_stop()

    def _collect(self):
        keep = []
        for n, info in self.pending:
            if info._published:  # set by paho on PUBACK (QoS 1) / PUBCOMP (QoS 2)
                self.acked.add(n)
            else:
                keep.append((n, info))
        self.pending = keep


class LedgerSubscriber(threading.Thread):
    def __init__(self, ctx, cid, transport, v5):
        super().__init__(daemon=True, name="ledger-sub-" + cid)
        self.ctx, self.cid = ctx, cid
        self.lock = threading.Lock()
        self.got = {}  # stream -> {number: deliveries}
        self.connects = 0
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.c = new_client(ctx, cid, transport, v5, clean=False)
        self.c.reconnect_delay_set(1, 2)
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = lambda *a: self.connected.clear()
        self.c.on_message = self._on_message
        self.c.on_subscribe = lambda *a: self.subscribed.set()

    def _on_connect(self, c, userdata, flags, rc, properties=None):
        if reason_value(rc) != 0:
            self.ctx.problem("%s: CONNACK %s" % (self.cid, reason_value(rc)))
            return
        self.connects += 1
        if self.connects > 1 and not flags.get("session present"):
            self.ctx.problem("%s: session not present at reconnect %d" % (self.cid, self.connects))
        self.connected.set()

    def _on_message(self, c, userdata, m):
        stream, _, n = m.payload.decode().partition(":")
        with self.lock:
            d = self.got.setdefault(stream, {})
            d[int(n)] = d.get(int(n), 0) + 1

    def snapshot(self, stream):
        with self.lock:
            return dict(self.got.get(stream, {}))

    def run(self):
        try:
            self._run()
        except Exception as e:
            self.ctx.problem("ledger subscriber %s: %r" % (self.cid, e))

    def _run(self):
        ctx, c = self.ctx, self.c
        start_connect(ctx, c, keepalive=20, session_expiry=3600)
        c.loop_start()
        if not self.connected.wait(15):
            ctx.problem("%s: no CONNACK" % self.cid)
            return
        c.subscribe(TOPIC + "#", qos=2)
        if not self.subscribed.wait(15):
            ctx.problem("%s: no SUBACK" % self.cid)
        while ctx.sleep(random.uniform(15, 45)):
            if random.random() < 0.5:
                # Clean DISCONNECT, offline a few seconds: the broker queues for us.
                c.disconnect()
                c.loop_stop()
                ctx.count("ledger_subscriber_disconnects")
                time.sleep(random.uniform(1, 6))
                try:
                    c.reconnect()
                except OSError as e:
                    ctx.log("%s: reconnect failed (%r); paho retries" % (self.cid, e))
                c.loop_start()
            else:
                drop(c)  # no DISCONNECT; paho reconnects after 1-2 s
                ctx.count("ledger_subscriber_drops")

    def wait_connected(self, timeout):
        return self.connected.wait(timeout)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def ledger_figures(pubs, subs):
    """(acknowledged, lost, QoS 2 duplicates, details): lost counts, per
    subscriber, acknowledged numbers it never received."""
    acked = sum(len(p.acked) for p in pubs)
    lost = dup2 = 0
    details = []
    for s in subs:
        for p in pubs:
            got = s.snapshot(p.stream)
            missing = sorted(p.acked - got.keys())
            lost += len(missing)
            if missing:
                details.append("%s lacks %d of %s (first %s)" % (s.cid, len(missing), p.stream, missing[:10]))
            if p.qos == 2:
                dups = sorted(n for n, k in got.items() if k > 1)
                dup2 += len(dups)
                if dups:
                    details.append("%s got %d of %s twice or more (first %s)" % (s.cid, len(dups), p.stream, dups[:10]))
    return acked, lost, dup2, details


def drain(ctx, pubs, subs, timeout):
    """Waits (at most `timeout` s) until every subscriber has every acknowledged number."""
    for p in pubs:
        p.join(45)
    end = time.time() + timeout
    for s in subs:
        if not s.wait_connected(max(0.1, end - time.time())):
            ctx.log("%s is not connected for the drain" % s.cid)
    while time.time() < end and not ctx.abort.is_set():
        if ledger_figures(pubs, subs)[1] == 0:
            break
        time.sleep(0.5)
    time.sleep(2)  # late duplicates would show here
    return ledger_figures(pubs, subs)
