"""Bad input over raw sockets: each malformed packet closes only its own
connection (MQTT 5 clients get DISCONNECT or CONNACK with the reason first),
is counted, and a well-behaved subscriber keeps receiving throughout."""

import struct
import time
import unittest

from harness import Broker, RawClient, Sub, connect_packet, encode_varint, main, pub

CONNACK = 0x20
DISCONNECT = 0xE0


def first_packet(data):
    """(type byte, body) of the first packet in `data`, or (None, b'')."""
    if len(data) < 2:
        return None, b""
    length, shift, i = 0, 0, 1
    while True:
        b = data[i]
        length |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            break
        shift += 7
    return data[0], data[i:i + length]


def publish(topic, payload=b"x", qos=0, packet_id=1, flags=None, v5=False):
    vh = struct.pack(">H", len(topic)) + topic
    if qos:
        vh += struct.pack(">H", packet_id)
    if v5:
        vh += b"\x00"
    first = 0x30 | (qos << 1) if flags is None else 0x30 | flags
    body = vh + payload
    return bytes([first]) + encode_varint(len(body)) + body


class Malformed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config={"max_packet_size": 1024})

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def exchange(self, *chunks, version=4, connect=True):
        """Sends CONNECT (unless told not to) then `chunks`; returns what the
        broker sent after CONNACK and whether it closed the connection."""
        c = RawClient(self.broker.port)
        try:
            if connect:
                c.send(connect_packet(b"bad-%d" % time.monotonic_ns(), version=version))
                c.sock.settimeout(3)
                ack = c.sock.recv(64)
                self.assertEqual(ack[0], CONNACK)
            for chunk in chunks:
                c.send(chunk)
            data, closed = c.recv_all(timeout=3)
            return data, closed
        finally:
            c.close()

    def assert_closed_v5(self, data, closed, reason):
        self.assertTrue(closed)
        kind, body = first_packet(data)
        self.assertEqual(kind, DISCONNECT, data)
        self.assertEqual(body[0], reason, data)

    def test_bystander_unaffected_by_every_case(self):
        sub = Sub(self.broker.port, "ok/#", count=2, timeout=20)
        pub(self.broker.port, "ok/1", "before")
        cases = [
            (b"\xff\xff\xff\xff\xff", 4, False),                      # garbage first
            (b"\x30\xff\xff\xff\xff\x01", 4, True),                   # remaining length > 4 bytes
            (publish(b"a/b", qos=3, flags=0x06), 4, True),            # QoS 3
            (publish(b"a/b", qos=1, packet_id=0), 4, True),           # packet id 0
            (b"\x60\x02\x00\x01", 4, True),                           # PUBREL without its required flags 0b0010
            (publish(b"a/\xff\xfe"), 4, True),                        # bad UTF-8 topic
            (publish(b"a/+"), 4, True),                               # wildcard in a topic name
            (publish(b"big", payload=b"x" * 2000), 4, True),          # over max_packet_size
            (connect_packet(b"again"), 4, True),                      # second CONNECT
        ]
        for chunk, version, connect in cases:
            with self.subTest(chunk=chunk[:12]):
                data, closed = self.exchange(chunk, version=version, connect=connect)
                self.assertTrue(closed, chunk)
        pub(self.broker.port, "ok/2", "after")
        self.assertEqual(sub.lines(), ["ok/1 before", "ok/2 after"])
        self.assertTrue(self.broker.alive())

    def test_v5_reason_codes(self):
        data, closed = self.exchange(publish(b"a/b", qos=3, flags=0x06, v5=True), version=5)
        self.assert_closed_v5(data, closed, 0x81)  # malformed packet
        data, closed = self.exchange(publish(b"big", payload=b"x" * 2000, v5=True), version=5)
        self.assert_closed_v5(data, closed, 0x95)  # packet too large
        data, closed = self.exchange(connect_packet(b"again", version=5), version=5)
        self.assert_closed_v5(data, closed, 0x82)  # protocol error: second CONNECT
        data, closed = self.exchange(publish(b"a/#", v5=True), version=5)
        self.assert_closed_v5(data, closed, 0x90)  # topic name invalid

    def test_first_packet_must_be_connect(self):
        data, closed = self.exchange(publish(b"a/b"), connect=False)
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
        kind, body = first_packet(data)
        self.assertEqual(kind, CONNACK)
        self.assertEqual(body[1], 0x01)  # 3.1.1: unacceptable protocol version

    def test_truncated_packet_then_close_leaves_broker_serving(self):
        c = RawClient(self.broker.port)
        c.send(connect_packet(b"trunc"))
        c.send(publish(b"a/b", payload=b"y" * 100)[:20])
        c.close()
        sub = Sub(self.broker.port, "after/trunc", count=1)
        pub(self.broker.port, "after/trunc", "fine")
        self.assertEqual(sub.lines(), ["after/trunc fine"])


if __name__ == "__main__":
    main()
