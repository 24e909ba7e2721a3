"""Malformed input over raw sockets closes only that connection (v5 sends
DISCONNECT 0x81/0x82/0x90/0x95, or CONNACK with the reason, first); a
concurrent subscriber keeps receiving and the broker stays up. One broker
with the default limits, one with max_packet_size 1024."""

import time
import unittest

from harness import Broker, RawClient, Sub, connect_packet, main, parse_packets, pub, publish_packet

CONNACK = 0x20
DISCONNECT = 0xE0

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


class OneBroker(unittest.TestCase):
    """One broker, started with the class's `config`, for all the tests of a
    class; it must be alive at the end and exit 0."""

    config = None

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(cls.config)

    @classmethod
    def tearDownClass(cls):
        assert cls.broker.alive(), cls.broker.output()
        assert cls.broker.stop() == 0, cls.broker.output()


class Malformed(OneBroker):
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


class MalformedWithPacketLimit(OneBroker):
    config = {"max_packet_size": 1024}

    def exchange(self, *chunks, version=4, connect=True):
        """Sends CONNECT (unless told not to) then `chunks`; returns what the
        broker sent after CONNACK and whether it closed the connection."""
        c = RawClient(self.broker.port)
        try:
            if connect:
                ack = c.connect(b"bad-%d" % time.monotonic_ns(), version=version)
                self.assertEqual(ack[0], CONNACK)
            for chunk in chunks:
                c.send(chunk)
            data, closed = c.recv_all(timeout=3)
            return data, closed
        finally:
            c.close()

    def assert_closed_v5(self, data, closed, reason):
        self.assertTrue(closed)
        packets = parse_packets(data)
        self.assertTrue(packets, data)
        kind, body = packets[0]
        self.assertEqual(kind, DISCONNECT, data)
        self.assertEqual(body[0], reason, data)

    def test_bystander_unaffected_by_every_case(self):
        sub = Sub(self.broker.port, "ok/#", count=2, timeout=20)
        pub(self.broker.port, "ok/1", "before")
        cases = [
            (b"\xff\xff\xff\xff\xff", 4, False),                          # garbage first
            (b"\x30\xff\xff\xff\xff\x01", 4, True),                       # remaining length > 4 bytes
            (publish_packet(b"a/b", b"x", qos=3), 4, True),               # QoS 3
            (publish_packet(b"a/b", b"x", qos=1, packet_id=0), 4, True),  # packet id 0
            (b"\x60\x02\x00\x01", 4, True),                               # PUBREL without its required flags 0b0010
            (publish_packet(b"a/\xff\xfe", b"x"), 4, True),               # bad UTF-8 topic
            (publish_packet(b"a/+", b"x"), 4, True),                      # wildcard in a topic name
            (publish_packet(b"big", b"x" * 2000), 4, True),               # over max_packet_size
            (connect_packet(b"again"), 4, True),                          # second CONNECT
        ]
        for chunk, version, connect in cases:
            with self.subTest(chunk=chunk[:12]):
                data, closed = self.exchange(chunk, version=version, connect=connect)
                self.assertTrue(closed, chunk)
        pub(self.broker.port, "ok/2", "after")
        self.assertEqual(sub.lines(), ["ok/1 before", "ok/2 after"])
        self.assertTrue(self.broker.alive())

    def test_v5_reason_codes(self):
        data, closed = self.exchange(publish_packet(b"a/b", b"x", qos=3, version=5), version=5)
        self.assert_closed_v5(data, closed, 0x81)  # malformed packet
        data, closed = self.exchange(publish_packet(b"big", b"x" * 2000, version=5), version=5)
        self.assert_closed_v5(data, closed, 0x95)  # packet too large
        data, closed = self.exchange(connect_packet(b"again", version=5), version=5)
        self.assert_closed_v5(data, closed, 0x82)  # protocol error: second CONNECT
        data, closed = self.exchange(publish_packet(b"a/#", b"x", version=5), version=5)
        self.assert_closed_v5(data, closed, 0x90)  # topic name invalid

    def test_first_packet_must_be_connect(self):
        data, closed = self.exchange(publish_packet(b"a/b", b"x"), connect=False)
        self.assertTrue(closed)
        self.assertEqual(data, b"")

    def test_unsupported_protocol_level(self):
        c = RawClient(self.broker.port)
        bad = connect_packet(b"lvl")
        bad = bad[:8] + b"\x07" + bad[9:]  # protocol level 7
        c.send(bad)
        data, closed = c.recv_all()
        c.close()
        self.assertTrue(closed)
        packets = parse_packets(data)
        self.assertTrue(packets, data)
        kind, body = packets[0]
        self.assertEqual(kind, CONNACK)
        self.assertEqual(body[1], 0x01)  # 3.1.1: unacceptable protocol version

    def test_truncated_packet_then_close_leaves_broker_serving(self):
        c = RawClient(self.broker.port)
        c.send(connect_packet(b"trunc"))
        c.send(publish_packet(b"a/b", b"y" * 100)[:20])
        c.close()
        sub = Sub(self.broker.port, "after/trunc", count=1)
        pub(self.broker.port, "after/trunc", "fine")
        self.assertEqual(sub.lines(), ["after/trunc fine"])


if __name__ == "__main__":
    main()
