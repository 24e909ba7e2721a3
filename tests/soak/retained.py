"""Retained messages: one writer sets, replaces and clears retained messages
on a bounded set of topics; once a minute a fresh wildcard subscriber (on a
random listener) must receive exactly the retained messages the writer left."""

import random
import threading
import time

from clients import TRANSPORTS, new_client, pump, start_connect

PREFIX = "soak/retained/"
TOPICS = 64


class RetainedWorker(threading.Thread):
    def __init__(self, ctx):
        super().__init__(daemon=True, name="retained")
        self.ctx = ctx
        self.expected = {}  # topic -> payload of what is retained now
        self.c = new_client(ctx, "soak-retained-writer", "tcp", True)
        self.c.reconnect_delay_set(1, 2)

    def run(self):
        ctx = self.ctx
        try:
            start_connect(ctx, self.c, keepalive=20)
            self.c.loop_start()
            next_check = time.time() + 30
            for version in range(1_000_000):
                if not ctx.loading():
                    break
                self._write(version)
                if time.time() >= next_check:
                    self._check()
                    next_check = time.time() + 60
                ctx.sleep(0.2)
        except (OSError, ValueError, RuntimeError) as e:
            ctx.problem("retained worker: %r" % (e,))
        self.c.disconnect()
        self.c.loop_stop()

    def _write(self, version):
        topic = PREFIX + str(random.randrange(TOPICS))
        payload = b"" if random.random() < 0.25 else ("%s=%d" % (topic, version)).encode()
        # QoS 1 waits for PUBACK, so the checks below compare settled state.
        info = self.c.publish(topic, payload, qos=1, retain=True)
        info.wait_for_publish(10)
        if not info.is_published():
            self.ctx.log("retained: no PUBACK in 10 s")
            return
        self.ctx.count("retained_writes")
        if payload:
            self.expected[topic] = payload
        else:
            self.expected.pop(topic, None)

    def _check(self):
        time.sleep(1)  # what was acknowledged has reached the retainer
        got = {}
        c = new_client(self.ctx, "soak-retained-check", random.choice(TRANSPORTS), random.random() < 0.5)
        subscribed = []
        c.on_message = lambda c_, u, m: got.__setitem__(m.topic, m.payload) if m.retain else None
        c.on_subscribe = lambda *a: subscribed.append(1)
        start_connect(self.ctx, c, keepalive=20)
        c.on_connect = lambda *a: c.subscribe(PREFIX + "#", qos=1)
        pump([c], 10, lambda: len(got) >= len(self.expected) and subscribed)
        pump([c], 0.5)  # anything beyond
        c.disconnect()
        pump([c], 1)
        c._sock_close()
        self.ctx.count("retained_checks")
        if got != self.expected:
            wrong = sorted(t for t in set(got) | set(self.expected) if got.get(t) != self.expected.get(t))
            self.ctx.problem("retained check over %s: %d topics differ, e.g. %s: got %r, expected %r" %
                             (c.soak_transport, len(wrong), wrong[0], got.get(wrong[0]),
                              self.expected.get(wrong[0])))
