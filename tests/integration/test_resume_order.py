"""Order of a resumed session's messages (MQTT 4.6): what was queued while the
client was away, what was in flight, and what arrives while the session
changes hands all reach the client in the order each publisher sent it. QoS 1
allows duplicates only as resends: a message the previous connection may not
have acknowledged comes again, before anything newer. Run with a window
smaller than the queue (v5 Receive Maximum, max_inflight_messages), in memory
and stored (durability batch), for 3.1.1 and 5.0."""

import shutil
import tempfile
import threading
import time
import unittest

from harness import Broker, RawClient, main, publish_packet
from paho_util import PacketTypes, V5Client, mqtt, props

TOPIC = "order/t"


def order_errors(connections, publisher):
    """What breaks MQTT 4.6 in the messages of `publisher` (numbers), given in
    the order each connection of one session got them, connection by connection:
    each new message is newer than every one before it, and a duplicate is a
    resend of an earlier connection's message, ahead of any new one."""
    errors = []
    seen = set()
    newest = -1
    for c, got in enumerate(connections):
        earlier = set(seen)
        new_started = False
        last_resend = -1
        for n in got:
            if n in seen:
                if n not in earlier or new_started or n < last_resend:
                    errors.append("connection %d: %s:%d again after %s:%d" % (c, publisher, n, publisher, newest))
                last_resend = n
            elif n < newest:
                errors.append("connection %d: %s:%d after %s:%d" % (c, publisher, n, publisher, newest))
            else:
                newest = n
                new_started = True
            seen.add(n)
    return errors


def numbers(msgs, publisher):
    out = []
    for m in msgs:
        name, _, n = m.payload.decode().partition(":")
        if name == publisher:
            out.append(int(n))
    return out


class ResumeOrder(unittest.TestCase):
    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="actormq-order-")
        self.clients = []
        self.publishers = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        for c in self.publishers:
            c.close()
        shutil.rmtree(self.data, ignore_errors=True)

    def config(self, stored):
        cfg = {"max_queued_messages": 100000, "max_inflight_messages": 10, "sys_interval": 0}
        if stored:
            cfg.update({"data_dir": self.data, "durability": "batch"})
        return cfg

    def subscriber(self, port, version, clean):
        if version == mqtt.MQTTv5:
            p = props(PacketTypes.CONNECT, SessionExpiryInterval=600, ReceiveMaximum=5)
            c = V5Client(port, "order-sub", clean_start=clean, connect_props=p)
        else:
            c = V5Client(port, "order-sub", clean_start=clean, version=version)
        self.clients.append(c)
        return c

    def start_publishers(self, port, names, count):
        """A raw client per name sending "name:0" .. "name:count-1" at QoS 1, all
        at once (as fast as the broker reads them), then waiting for every PUBACK."""
        procs = []
        for name in names:
            c = RawClient(port, timeout=60)
            pk = c.connect(b"order-pub-" + name.encode())
            self.assertEqual((pk[0] >> 4, pk[1][1]), (2, 0), "publisher %s not accepted" % name)
            self.publishers.append(c)
            burst = b"".join(publish_packet(TOPIC, "%s:%d" % (name, i), qos=1, packet_id=i + 1)
                             for i in range(count))
            result = []
            t = threading.Thread(target=self.publish_all, args=(c, burst, count, result))
            t.start()
            procs.append((t, result, count))
        return procs

    @staticmethod
    def publish_all(c, burst, count, result):
        c.send(burst)
        acks = 0
        while acks < count:
            pk = c.recv_packet(timeout=60)
            if pk is None:
                break
            if pk[0] >> 4 == 4:
                acks += 1
        result.append(acks)

    def join_publishers(self, procs):
        for t, result, count in procs:
            t.join(130)
            self.assertEqual(result, [count], "PUBACKs a publisher got")

    def check(self, connections, names, count):
        for name in names:
            per_conn = [numbers(c.wait_msgs(0, 0), name) for c in connections]
            self.assertEqual(order_errors(per_conn, name)[:10], [])
            seen = set()
            for got in per_conn:
                seen.update(got)
            missing = sorted(set(range(count)) - seen)
            self.assertEqual(missing[:10], [], "%d of %s's %d messages lost" % (len(missing), name, count))

    def wait_all(self, connections, names, count, timeout=60):
        def complete():
            seen = set()
            for c in connections:
                seen.update(m.payload for m in c.wait_msgs(0, 0))
            return len(seen) >= len(names) * count
        end = time.time() + timeout
        while time.time() < end and not complete():
            time.sleep(0.1)

    # ---- the queue of an offline session ----

    def offline_queue(self, version, stored, env=None):
        names = ["a"]
        count = 200
        with Broker(self.config(stored), env=env) as broker:
            sub = self.subscriber(broker.port, version, clean=False)
            self.assertEqual(sub.subscribe(TOPIC, qos=1), [1])
            sub.disconnect()
            self.join_publishers(self.start_publishers(broker.port, names, count))
            back = self.subscriber(broker.port, version, clean=False)
            self.assertTrue(back.session_present)
            self.wait_all([back], names, count)
            self.assertEqual(numbers(back.wait_msgs(0, 0), "a"), list(range(count)))

    def test_v5_offline_queue_in_order(self):
        self.offline_queue(mqtt.MQTTv5, stored=False)

    def test_v5_offline_queue_in_order_stored(self):
        self.offline_queue(mqtt.MQTTv5, stored=True)

    def test_v311_offline_queue_in_order_stored(self):
        self.offline_queue(mqtt.MQTTv311, stored=True)

    # ---- resuming and taking over while publishers send ----

    def takeovers_during_stream(self, version, stored, offline_between=False, env=None, count=3000):
        names = ["a", "b"]
        with Broker(self.config(stored), env=env) as broker:
            connections = [self.subscriber(broker.port, version, clean=False)]
            self.assertEqual(connections[0].subscribe(TOPIC, qos=1), [1])
            procs = self.start_publishers(broker.port, names, count)
            for step in range(1, 4):
                # Take over (or resume) at about a quarter, half and three quarters.
                end = time.time() + 30
                while time.time() < end:
                    total = sum(len(c.wait_msgs(0, 0)) for c in connections)
                    if total >= step * len(names) * count // 4:
                        break
                    time.sleep(0.005)
                if offline_between:
                    connections[-1].disconnect()
                    time.sleep(0.05)
                nxt = self.subscriber(broker.port, version, clean=False)
                self.assertTrue(nxt.session_present, "takeover %d: session present 0" % step)
                connections.append(nxt)
            self.join_publishers(procs)
            self.wait_all(connections, names, count)
            self.check(connections, names, count)

    def test_v5_takeovers_during_a_stream(self):
        self.takeovers_during_stream(mqtt.MQTTv5, stored=False)

    def test_v5_takeovers_during_a_stream_stored(self):
        self.takeovers_during_stream(mqtt.MQTTv5, stored=True)

    def test_v311_takeovers_during_a_stream(self):
        self.takeovers_during_stream(mqtt.MQTTv311, stored=False)

    def test_v5_resumes_during_a_stream_stored(self):
        self.takeovers_during_stream(mqtt.MQTTv5, stored=True, offline_between=True)

    def test_v5_takeovers_with_held_handovers(self):
        # Each handover waits 300 ms: the routes lead to the new session while
        # the previous one still gets (and so far forwarded) what the routers
        # sent it before.
        self.takeovers_during_stream(mqtt.MQTTv5, stored=True, env={"ACTORMQ_TEST_HANDOVER_DELAY_MS": "300"},
                                     count=2000)


if __name__ == "__main__":
    main()
