"""Retained messages load in the background after a restart: the port opens
once the sessions are restored, a subscription made during the load gets every
stored retained message exactly once when the load is over, and a retained
message stored, deleted or expired during the load keeps its new state, in
memory and in the store. ACTORMQ_TEST_RETAINED_LOAD_HOLD_MS makes the loader
wait between reading the store and handing what it read to the retainer, so
the clients act surely after the read (which saw the old values) and before
the hand-over."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import (ACTORMQ, Broker, free_port, RawClient, encode_varint, main, parse_packets, publish_packet, subscribe_packet,
                     wait_for)

N = 50000  # retained messages stored before the restart
HOLD_MS = 2500


def read_publishes(client, count, timeout):
    """Up to `count` PUBLISH packets (QoS 0) as (retain flag, topic, payload)."""
    sock = client.sock
    buf = getattr(client, "_buf", b"")
    out = []
    end = time.time() + timeout
    while len(out) < count:
        packets = parse_packets(buf)
        used = sum(1 + len(encode_varint(len(body))) + len(body) for _, body in packets)
        buf = buf[used:]
        for first, body in packets:
            if first & 0xF0 != 0x30:
                continue
            n = int.from_bytes(body[:2], "big")
            out.append((first & 1, body[2:2 + n].decode(), body[2 + n:].decode()))
        if len(out) >= count:
            break
        left = end - time.time()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(1 << 20)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    client._buf = buf
    return out


def subscriber(port, client_id):
    c = RawClient(port)
    assert c.connect(client_id) == (0x20, b"\x00\x00")
    c.send(subscribe_packet([("load/#", 0)]))
    assert c.recv_packet() == (0x90, b"\x00\x01\x00")
    return c


def publish_acked(client, topic, payload, packet_id, version=4, props=b""):
    """A retained QoS 1 PUBLISH; under durability sync its PUBACK means the
    retainer has stored it and the store has committed it."""
    client.send(publish_packet(topic, payload, qos=1, retain=True, packet_id=packet_id, version=version, props=props))
    first, body = client.recv_packet()
    assert first == 0x40 and body[:2] == packet_id.to_bytes(2, "big"), (first, body)


class RetainedLoad(unittest.TestCase):
    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="actormq-data-")
        self.config = {"data_dir": self.data, "durability": "sync", "max_queued_messages": 4 * N}
        self.broker = None

    def tearDown(self):
        if self.broker is not None:
            self.broker.stop(signal.SIGKILL)
        shutil.rmtree(self.data, ignore_errors=True)

    def restart(self, env=None):
        port = self.broker.port
        self.assertEqual(self.broker.stop(signal.SIGTERM), 0, self.broker.output())
        self.broker = Broker(self.config, port=port, env=env)
        return port

    def fill(self):
        self.broker = Broker(self.config)
        c = RawClient(self.broker.port)
        self.assertEqual(c.connect(b"filler"), (0x20, b"\x00\x00"))
        c.send(b"".join(publish_packet("load/%d" % i, "v%d" % i, retain=True) for i in range(N)))
        publish_acked(c, "load/end", "end", 1)  # stored after all the others
        c.close()

    def expected(self):
        want = {"load/%d" % i: "v%d" % i for i in range(N)}
        want["load/end"] = "end"
        want["load/7"] = "new"
        del want["load/8"]
        want["load/fresh"] = "fresh"
        return want

    def check_retained_once(self, got):
        retained = [(t, p) for flag, t, p in got if flag]
        topics = [t for t, _ in retained]
        self.assertEqual(len(topics), len(set(topics)), "a retained message came twice")
        got, want = dict(retained), self.expected()
        for topic in ("load/7", "load/8", "load/fresh", "load/short"):
            self.assertEqual(got.get(topic), want.get(topic), topic)
        wrong = {t: (got.get(t), want.get(t)) for t in set(got) | set(want) if got.get(t) != want.get(t)}
        self.assertEqual(list(wrong.items())[:10], [], "%d topics differ" % len(wrong))

    def test_subscribe_and_publish_during_load(self):
        self.fill()
        port = self.restart(env={"ACTORMQ_TEST_RETAINED_LOAD_HOLD_MS": str(HOLD_MS)})
        sub = subscriber(port, b"early")
        self.assertTrue(wait_for(lambda: "retained messages read" in self.broker.output(), timeout=10))
        pub = RawClient(port)
        first, body = pub.connect(b"during", version=5)
        self.assertEqual((first, body[:2]), (0x20, b"\x00\x00"))
        publish_acked(pub, "load/7", "new", 1, version=5)  # replaces a stored one
        publish_acked(pub, "load/8", "", 2, version=5)  # deletes a stored one
        publish_acked(pub, "load/fresh", "fresh", 3, version=5)
        expiry = b"\x02" + (1).to_bytes(4, "big")  # Message Expiry Interval: 1 s
        publish_acked(pub, "load/short", "short", 4, version=5, props=expiry)
        pub.close()
        self.assertNotIn("loaded", self.broker.output(), "the load ended before the clients acted")
        # Live deliveries only: the subscription's retained lookup waits for the load.
        live = read_publishes(sub, 4, timeout=5)
        self.assertEqual(live, [(0, "load/7", "new"), (0, "load/8", ""), (0, "load/fresh", "fresh"),
                                (0, "load/short", "short")])
        got = read_publishes(sub, N + 1, timeout=15)
        self.assertIn("1 lookups waited for them", self.broker.output())
        self.assertEqual(read_publishes(sub, 1, timeout=0.5), [], "more than the stored messages")
        sub.close()
        self.check_retained_once(got)  # load/short expired during the load: not among them
        # The store agrees: what was stored during the load was not overwritten by it.
        port = self.restart()
        again = subscriber(port, b"late")
        got = read_publishes(again, N + 1, timeout=15)
        self.assertEqual(read_publishes(again, 1, timeout=0.5), [], "more than the stored messages")
        again.close()
        self.check_retained_once(got)

    def test_unreadable_record_found_by_the_load_stops_the_broker(self):
        self.broker = Broker(self.config)
        c = RawClient(self.broker.port)
        self.assertEqual(c.connect(b"corrupter"), (0x20, b"\x00\x00"))
        publish_acked(c, "bad/record", "x", 1)
        c.close()
        self.assertEqual(self.broker.stop(signal.SIGTERM), 0)
        # LMDB keeps no checksums: in data.mdb a record's value follows its key,
        # and a stored message starts with its format byte (1). Spoil that byte.
        path = os.path.join(self.data, "data.mdb")
        with open(path, "rb") as f:
            raw = f.read()
        self.assertIn(b"bad/record\x01", raw)
        with open(path, "wb") as f:
            f.write(raw.replace(b"bad/record\x01", b"bad/record\xff"))
        r = subprocess.run([ACTORMQ, "--port", str(free_port()), "--data-dir", self.data], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("data_dir %s: unreadable record in database 'retained' (key \"bad/record\")" % self.data,
                      r.stdout + r.stderr)
        self.assertNotIn("loaded", r.stdout + r.stderr)


if __name__ == "__main__":
    main()
