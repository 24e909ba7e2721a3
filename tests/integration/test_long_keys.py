"""Keys longer than LMDB takes (511 bytes): a retained message on a 600-byte
topic and a persistent session of a 600-byte client id (its record, queue
and in-flight entries) are stored and come back after a restart, and they
hold back nobody else's writes: another client's acknowledged messages
survive the restart and its publisher stays connected, under durability
sync and batch."""

import shutil
import signal
import tempfile
import unittest

from harness import (Broker, RawClient, connect_packet, main, publish_packet,
                     publishes, subscribe_packet)

LONG_ID = ("long-" + "i" * 595).encode()
LONG_TOPIC = "ret/" + "t" * 596
OTHER_MESSAGES = 20


class LongKeys(unittest.TestCase):
    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="actormq-data-")
        self.broker = None

    def tearDown(self):
        if self.broker is not None:
            self.broker.stop(signal.SIGKILL)
        shutil.rmtree(self.data, ignore_errors=True)

    def connect(self, port, cid, clean):
        """A connected client, and whether the broker had its session."""
        c = RawClient(port)
        c.send(connect_packet(cid, clean=clean))
        first, body = c.recv_packet()
        self.assertEqual((first, body[1]), (0x20, 0), cid[:20])
        return c, body[0] == 1

    def subscribe(self, c, flt):
        c.send(subscribe_packet([(flt, 1)]))
        self.assertEqual(c.recv_packet(), (0x90, b"\x00\x01\x01"))

    def publish_acked(self, c, topic, payload, packet_id, retain=False):
        c.send(publish_packet(topic, payload, qos=1, retain=retain, packet_id=packet_id))
        self.assertEqual(c.recv_packet(), (0x40, packet_id.to_bytes(2, "big")), topic[:20])

    def still_connected(self, c):
        c.send(b"\xc0\x00")  # PINGREQ
        self.assertEqual(c.recv_packet(), (0xD0, b""))

    def check(self, durability):
        config = {"data_dir": self.data, "durability": durability}
        self.broker = Broker(config)
        port = self.broker.port
        for cid, flt in ((b"other", "other/#"), (LONG_ID, "long/#")):
            c, _ = self.connect(port, cid, clean=False)
            self.subscribe(c, flt)
            c.send(b"\xe0\x00")
            c.close()
        pub, _ = self.connect(port, b"pub", clean=True)
        self.publish_acked(pub, LONG_TOPIC, "kept", 1, retain=True)
        self.publish_acked(pub, "long/1", "for-long", 2)
        # The unrelated client: every message acknowledged, never disconnected.
        for i in range(OTHER_MESSAGES):
            self.publish_acked(pub, "other/%d" % i, "m%d" % i, 10 + i)
        self.still_connected(pub)
        pub.close()
        self.assertEqual(self.broker.stop(signal.SIGTERM), 0, self.broker.output())
        self.assertNotIn("error", self.broker.output())

        self.broker = Broker(config, port=port)
        sub, _ = self.connect(port, b"ret-sub", clean=True)
        sub.send(subscribe_packet([("ret/#", 0)]))
        got = publishes(sub.recv_until_quiet(timeout=1))
        self.assertEqual(got, [(LONG_TOPIC, b"kept")])
        sub.close()
        long_client, present = self.connect(port, LONG_ID, clean=False)
        self.assertTrue(present)
        self.assertEqual(publishes(long_client.recv_until_quiet(timeout=1)), [("long/1", b"for-long")])
        long_client.close()
        other, present = self.connect(port, b"other", clean=False)
        self.assertTrue(present)
        want = [("other/%d" % i, b"m%d" % i) for i in range(OTHER_MESSAGES)]
        self.assertEqual(publishes(other.recv_until_quiet(timeout=1)), want)
        other.close()
        self.assertEqual(self.broker.stop(signal.SIGTERM), 0, self.broker.output())

    def test_long_keys_under_sync(self):
        self.check("sync")

    def test_long_keys_under_batch(self):
        self.check("batch")


if __name__ == "__main__":
    main()
