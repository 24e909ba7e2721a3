"""Protocol errors the broker must not accept, over raw sockets: each closes
only its own connection, with the answer the spec gives (v5: DISCONNECT or
CONNACK with the reason code first), and nothing of it is routed."""

import unittest

from harness import (Broker, RawClient, Sub, connect_packet, encode_varint, main, pub,
                     publish_packet)

CONNACK = 0x20
DISCONNECT = 0xE0


class ProtocolErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A CONNECT deadline far beyond every wait below: a connection that
        # closes within them was closed for what it sent.
        cls.broker = Broker(config={"connect_timeout_ms": 60000})

    @classmethod
    def tearDownClass(cls):
        assert cls.broker.alive(), cls.broker.output()
        assert cls.broker.stop() == 0, cls.broker.output()

    def connected(self, client_id, version):
        c = RawClient(self.broker.port)
        self.addCleanup(c.close)
        ack = c.connect(client_id, version=version)
        self.assertIsNotNone(ack)
        self.assertEqual(ack[0], CONNACK)
        self.assertEqual(ack[1][1], 0)
        return c

    def test_client_publish_with_subscription_identifier(self):
        # [MQTT-3.3.4-6]: a PUBLISH from a client must not carry one.
        sub = Sub(self.broker.port, "se/#", count=1, timeout=4)
        c = self.connected(b"se-pub", 5)
        c.send(publish_packet("se/t", b"bad", version=5, props=b"\x0b\x01"))
        data, closed = c.recv_all()
        self.assertTrue(closed)
        self.assertEqual(data[:3], bytes([DISCONNECT, data[1], 0x82]), data)
        pub(self.broker.port, "se/t", "after")
        self.assertEqual(sub.lines(), ["se/t after"])

    def test_v5_authentication_data_without_method(self):
        # MQTT 5 3.1.2.11.10: Authentication Data (0x16) without a Method.
        c = RawClient(self.broker.port)
        self.addCleanup(c.close)
        c.send(connect_packet(b"ad-only", version=5, props=b"\x16\x00\x01x"))
        data, closed = c.recv_all()
        self.assertTrue(closed)
        self.assertEqual(data[0], CONNACK, data)
        self.assertEqual(data[3], 0x82, data)  # Protocol Error

    def test_unsubscribe_invalid_filter(self):
        # '#' must be the last level (MQTT 5 4.7.1.2); UNSUBACK has no code for
        # a malformed filter, so the connection closes (v5: DISCONNECT 0x82).
        for version in (4, 5):
            with self.subTest(version=version):
                c = self.connected(b"us-%d" % version, version)
                body = b"\x00\x07" + (b"\x00" if version == 5 else b"") + b"\x00\x05a/#/b"
                c.send(b"\xa2" + encode_varint(len(body)) + body)
                data, closed = c.recv_all()
                self.assertTrue(closed)
                if version == 5:
                    self.assertEqual(data[:3], bytes([DISCONNECT, data[1], 0x82]), data)
                else:
                    self.assertEqual(data, b"")

    def test_first_byte_not_connect_closes_at_once(self):
        # Only 0x10 (CONNECT, flags 0) may open a connection ([MQTT-3.1.0-1],
        # [MQTT-2.1.3-1]). "GET / HTTP/1.1": 'G' reads as a PUBACK with flags 7
        # and 'E' as a remaining length of 69, more than the request holds.
        for first in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"G", b"\x30", b"\x11"):
            with self.subTest(first=first):
                c = RawClient(self.broker.port)
                self.addCleanup(c.close)
                c.send(first)
                data, closed = c.recv_all(timeout=5)
                self.assertTrue(closed)
                self.assertEqual(data, b"")
        # A CONNECT's first byte alone waits for the rest.
        c = RawClient(self.broker.port)
        self.addCleanup(c.close)
        c.send(b"\x10")
        data, closed = c.recv_all(timeout=0.5)
        self.assertFalse(closed)
        c.send(connect_packet(b"after-first-byte")[1:])
        ack = c.recv_packet()
        self.assertEqual(ack, (CONNACK, b"\x00\x00"))

    def test_malformed_connect_answered_in_its_own_version(self):
        # 3.1.1 and 3.1 have no CONNACK code for a malformed CONNECT: the
        # connection just closes ([MQTT-3.1.4-1]); v5 gets CONNACK 0x81.
        v311 = connect_packet(b"mc-311")
        v31_body = b"\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x05mc-31"
        cases = [
            ("3.1.1 fixed-header flags", b"\x12" + v311[1:], b""),
            # Remaining length 10 ends after the keep alive: the client id is
            # missing, the bytes that follow are not part of this packet.
            ("3.1.1 truncated", b"\x10\x0a" + v311[2:], b""),
            ("3.1 truncated", b"\x10\x0a" + v31_body, b""),
        ]
        for name, data, expected in cases:
            with self.subTest(name=name):
                c = RawClient(self.broker.port)
                self.addCleanup(c.close)
                c.send(data)
                got, closed = c.recv_all()
                self.assertTrue(closed)
                self.assertEqual(got, expected)
        v5 = connect_packet(b"mc-5", version=5)
        c = RawClient(self.broker.port)
        self.addCleanup(c.close)
        c.send(b"\x10\x0b" + v5[2:])  # ends after the property length
        got, closed = c.recv_all()
        self.assertTrue(closed)
        self.assertEqual(got[0], CONNACK, got)
        self.assertEqual(got[3], 0x81, got)  # Malformed Packet


if __name__ == "__main__":
    main()
