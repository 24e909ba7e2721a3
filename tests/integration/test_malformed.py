"""Malformed input over raw sockets closes only that connection (v5 sends
DISCONNECT 0x81/0x82 first); a concurrent subscriber keeps receiving and the
broker stays up."""

import unittest

from harness import Broker, RawClient, Sub, main, pub, publish_packet

CASES = {
    # name: (bytes after a good CONNECT, or None for "instead of CONNECT")
    "garbage": b"\xff\xfe\xfd\xfc\x00\x01",
    "remaining_length_5_bytes": b"\x30\xff\xff\xff\xff\x7f",
    "reserved_flags_subscribe": b"\x80\x08\x00\x01\x00\x03a/b\x00",
    "reserved_flags_pingreq": b"\xc1\x00",
    "qos3": b"\x36\x07\x00\x03a/b\x00\x01x",
    "packet_id_0": b"\x32\x07\x00\x03a/b\x00\x00x",
    "bad_utf8_topic": b"\x30\x06\x00\x03a\xff\xfex",
    "nul_in_topic": b"\x30\x06\x00\x03a\x00bx",
    "wildcard_in_topic": b"\x30\x06\x00\x03a/#x",
    "subscribe_no_filters": b"\x82\x02\x00\x01",
}


class Malformed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker()

    @classmethod
    def tearDownClass(cls):
        assert cls.broker.alive(), cls.broker.output()
        assert cls.broker.stop() == 0, cls.broker.output()

    def check(self, name, bad, version):
        port = self.broker.port
        s = Sub(port, "ok/#", count=2, timeout=4)
        pub(port, "ok/1", "before")
        c = RawClient(port)
        first, body = c.connect(b"bad-" + name.encode(), version=version)
        self.assertEqual(first, 0x20)
        if version == 5 and bad[0] & 0xF0 == 0x30:
            # the v5 PUBLISH has a property length after the topic (and packet id)
            qos = (bad[0] >> 1) & 3
            tl = int.from_bytes(bad[2:4], "big")
            cut = 4 + tl + (2 if qos else 0)
            body = bad[2:cut] + b"\x00" + bad[cut:]
            if len(bad) > 1 and bad[1] < 0x80:
                bad = bytes([bad[0], len(body)]) + body
        if version == 5 and bad[0] == 0x82:
            bad = b"\x82\x03\x00\x01\x00"
        c.send(bad)
        data, closed = c.recv_all()
        self.assertTrue(closed, name)
        if version == 5:
            # DISCONNECT with Malformed Packet / Protocol Error (or Topic Name invalid) first
            self.assertGreaterEqual(len(data), 3, name)
            self.assertEqual(data[0], 0xE0, (name, data))
            self.assertIn(data[2], (0x81, 0x82, 0x90), (name, data))
        else:
            self.assertEqual(data, b"", name)
        pub(port, "ok/2", "after")
        # Two publishers: MQTT orders messages per client, not across clients.
        self.assertEqual(sorted(s.lines()), ["ok/1 before", "ok/2 after"], name)
        self.assertTrue(self.broker.alive())

    def test_cases_v311(self):
        for name, bad in CASES.items():
            with self.subTest(name=name):
                self.check(name, bad, 4)

    def test_cases_v5(self):
        for name, bad in CASES.items():
            with self.subTest(name=name):
                self.check(name, bad, 5)

    def test_garbage_instead_of_connect(self):
        for bad in (b"\xff" * 10, b"GET / HTTP/1.1\r\n" + b"x" * 80, b"\x10\xff\xff\xff\xff\x01"):
            c = RawClient(self.broker.port)
            c.send(bad)
            data, closed = c.recv_all()
            self.assertTrue(closed)
            self.assertEqual(data, b"")

    def test_truncated_then_close(self):
        s = Sub(self.broker.port, "ok/#", count=1, timeout=4)
        c = RawClient(self.broker.port)
        self.assertEqual(c.connect(b"trunc", version=4)[0], 0x20)
        c.send(publish_packet("ok/x", b"y" * 100)[:20])
        c.close()
        half = RawClient(self.broker.port)
        half.send(b"\x10\x20\x00\x04MQ")
        half.close()
        pub(self.broker.port, "ok/t", "fine")
        self.assertEqual(s.lines(), ["ok/t fine"])  # the truncated publish never arrived


if __name__ == "__main__":
    main()
