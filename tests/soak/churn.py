"""Connection churn: short-lived paho clients on random listeners (tcp, tls,
ws, wss), MQTT 3.1.1 or 5, clean or persistent sessions (from a bounded pool
of client ids, so the broker's session count is bounded too), publishing
QoS 0/1/2 and subscribing with wildcards; takeovers (a second connection with
the same client id while the first is connected); wills of clients that drop
without DISCONNECT (a watcher checks that they arrive); wrong passwords."""

import itertools
import random
import threading

from clients import (PASSWORD, TRANSPORTS, USER, drop, new_client, pump, reason_value,
                     start_connect)

PERSISTENT_IDS = 32  # pool of persistent client ids
MIXED = "soak/mixed/"
FILTERS = ("soak/mixed/#", "soak/mixed/+/q1", "soak/retained/+", "soak/+/+/q0")


class Tracked:
    """Callback state of one hand-driven client."""

    def __init__(self, c):
        self.c = c
        self.connack = None  # (session present, reason code)
        self.closed = False
        self.msgs = 0
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message

    def _on_connect(self, c, u, flags, rc, properties=None):
        self.connack = (bool(flags.get("session present")), reason_value(rc))

    def _on_disconnect(self, c, u, rc, properties=None):
        self.closed = True

    def _on_message(self, c, u, m):
        self.msgs += 1


class WillWatcher:
    """A persistent subscriber to every will, always connected."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.expected = set()
        self.got = set()
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.c = new_client(ctx, "soak-will-watcher", "tcp", False, clean=False)
        self.c.reconnect_delay_set(1, 2)
        self.c.on_message = self._on_message
        self.c.on_subscribe = lambda *a: self.ready.set()
        self.c.on_connect = lambda c, u, f, rc: c.subscribe("soak/will/#", qos=1)

    def start(self):
        start_connect(self.ctx, self.c, keepalive=20)
        self.c.loop_start()
        if not self.ready.wait(15):
            self.ctx.problem("will watcher: not subscribed")

    def _on_message(self, c, u, m):
        with self.lock:
            self.got.add(m.payload.decode())

    def expect(self, token):
        with self.lock:
            self.expected.add(token)

    def missing(self):
        with self.lock:
            return sorted(self.expected - self.got)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


class ChurnWorker(threading.Thread):
    serial = itertools.count()

    def __init__(self, ctx, wills, index):
        super().__init__(daemon=True, name="churn-%d" % index)
        self.ctx, self.wills, self.index = ctx, wills, index

    def run(self):
        ctx = self.ctx
        kinds = (["plain"] * 10 + ["will"] * 4 + ["takeover"] * 3 + ["badauth"])
        for _ in range(1_000_000):  # bounded; the load phase ends it long before
            if not ctx.loading():
                return
            kind = random.choice(kinds)
            try:
                getattr(self, "_" + kind)()
            except (OSError, ValueError) as e:  # refused socket, TLS or ws upgrade failure
                ctx.count("churn_connect_errors")
                ctx.log("churn %s: %r" % (kind, e))
            ctx.sleep(random.uniform(0.05, 0.4))

    def _client(self, cid=None, transport=None, v5=None, clean=None, auth=None):
        n = next(self.serial)
        if clean is None:
            clean = random.random() < 0.6
        if cid is None:
            cid = ("soak-c-%d" % n) if clean else ("soak-p-%d" % random.randrange(PERSISTENT_IDS))
        transport = transport or random.choice(TRANSPORTS)
        v5 = random.random() < 0.5 if v5 is None else v5
        if auth is None:
            auth = random.random() < 0.5
        c = new_client(self.ctx, cid, transport, v5, clean=clean,
                       user=USER if auth else None, password=PASSWORD if auth else None)
        self.ctx.count("churn_clients")
        self.ctx.count("churn_" + transport)
        return Tracked(c)

    def _connect(self, t, will=None, expect_ok=True):
        # v5 persistent sessions expire after 0-120 s offline: expiry is exercised too.
        expiry = 0 if t.c.soak_clean else random.choice((30, 120, 3600))
        start_connect(self.ctx, t.c, keepalive=30, session_expiry=expiry, will=will)
        if not pump([t.c], 10, lambda: t.connack is not None or t.closed):
            self.ctx.count("churn_connack_timeouts")
            self.ctx.log("churn: no CONNACK for %s within 10 s" % t.c._client_id.decode())
            return False
        ok = t.connack is not None and t.connack[1] == 0
        if expect_ok and not ok:
            self.ctx.problem("churn: %s refused: %r" % (t.c._client_id.decode(), t.connack))
        return ok

    def _traffic(self, t):
        c = t.c
        if random.random() < 0.5:
            c.subscribe(random.choice(FILTERS), qos=random.randrange(3))
        for _ in range(random.randrange(1, 12)):
            qos = random.randrange(3)
            c.publish(MIXED + c._client_id.decode() + "/q%d" % qos, b"x" * random.randrange(8, 400), qos=qos)
            self.ctx.count("churn_publishes")
        pump([c], random.uniform(0.3, 2.5))

    def _end(self, t, abrupt):
        if abrupt:
            drop(t.c)
        else:
            t.c.disconnect()
            pump([t.c], 1, lambda: t.closed)
        try:
            t.c.loop(0.01)
        except (OSError, ValueError):
            pass
        # paho leaves the socket to the garbage collector otherwise.
        t.c._sock_close()

    def _plain(self):
        t = self._client()
        if self._connect(t):
            self._traffic(t)
        self._end(t, abrupt=random.random() < 0.2)

    def _will(self):
        # A clean session ends with the connection, so its will goes at once
        # (also with a v5 Will Delay); a persistent id could be resumed by
        # another worker within the delay, which rightly cancels the will.
        t = self._client(clean=True)
        token = "will-%d-%d" % (self.index, next(self.serial))
        if self._connect(t, will=("soak/will/" + token, token.encode(), 1)):
            pump([t.c], random.uniform(0.1, 1.0))
            self._end(t, abrupt=True)
            self.wills.expect(token)
            self.ctx.count("wills_expected")
        else:
            self._end(t, abrupt=False)

    def _takeover(self):
        # Ids of this worker only: another worker's clean takeover would rightly discard the session.
        cid = "soak-t-%d-%d" % (self.index, random.randrange(8))
        persistent = random.random() < 0.5
        # The same user: another user's connection takes the id, not the session.
        auth = random.random() < 0.5
        a = self._client(cid=cid, clean=not persistent, auth=auth)
        if not self._connect(a):
            self._end(a, abrupt=False)
            return
        if random.random() < 0.5:
            a.c.subscribe("soak/mixed/#", qos=1)
        pump([a.c], random.uniform(0.1, 0.8))
        b = self._client(cid=cid, clean=not persistent, auth=auth)
        ok = self._connect(b)
        # The first connection must be closed by the broker (v5: DISCONNECT 0x8E).
        kicked = pump([a.c, b.c], 10, lambda: a.closed)
        self.ctx.count("takeovers")
        if not kicked:
            self.ctx.problem("takeover of %s: first connection still open 10 s after the second CONNACK" % cid)
        if ok and persistent and not b.connack[0]:
            self.ctx.problem("takeover of %s: persistent session not present" % cid)
        self._end(a, abrupt=True)
        self._end(b, abrupt=random.random() < 0.3)

    def _badauth(self):
        t = self._client(clean=True, auth=False)
        t.c.username_pw_set(USER, "wrong")
        if self._connect(t, expect_ok=False):
            self.ctx.problem("churn: wrong password accepted")
        self.ctx.count("bad_passwords")
        self._end(t, abrupt=False)
