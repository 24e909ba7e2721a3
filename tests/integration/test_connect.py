"""CONNECT rules over raw sockets against the real broker: client ids,
protocol levels, packet order, connect timeout, anonymous access."""

import time
import unittest

from harness import Broker, RawClient, connect_packet, main, pub, Sub


def connect_v3(client_id=b"old"):
    vh = b"\x00\x06MQIsdp\x03\x02\x00\x3c"
    body = vh + len(client_id).to_bytes(2, "big") + client_id
    return b"\x10" + bytes([len(body)]) + body


def with_level(level, client_id=b"x"):
    pk = bytearray(connect_packet(client_id))
    pk[8] = level  # protocol level byte follows 0x10 len 0x00 0x04 'MQTT'
    return bytes(pk)


class Connect(unittest.TestCase):
    def setUp(self):
        self.broker = Broker({"connect_timeout_ms": 300})

    def tearDown(self):
        self.assertTrue(self.broker.alive())
        self.assertEqual(self.broker.stop(), 0, self.broker.output())

    def test_empty_id_clean0_refused_v311(self):
        c = RawClient(self.broker.port)
        self.assertEqual(c.connect(b"", clean=False), (0x20, b"\x00\x02"))
        data, closed = c.recv_all()
        self.assertEqual(data, b"")
        self.assertTrue(closed)

    def test_empty_id_clean1_accepted_v311(self):
        c = RawClient(self.broker.port)
        self.assertEqual(c.connect(b"", clean=True), (0x20, b"\x00\x00"))
        c.send(b"\xc0\x00")
        self.assertEqual(c.recv_packet(), (0xD0, b""))
        c.close()

    def test_empty_id_v5_assigned(self):
        c = RawClient(self.broker.port)
        first, body = c.connect(b"", version=5)
        self.assertEqual(first, 0x20)
        self.assertEqual(body[1], 0x00)
        self.assertIn(b"\x12", body[2:])  # Assigned Client Identifier property
        c.close()

    def test_mqisdp_level3_accepted(self):
        c = RawClient(self.broker.port)
        c.send(connect_v3())
        self.assertEqual(c.recv_packet(), (0x20, b"\x00\x00"))
        c.close()

    def test_bad_level_v311_refused(self):
        c = RawClient(self.broker.port)
        c.send(with_level(7))
        self.assertEqual(c.recv_packet(), (0x20, b"\x00\x01"))
        data, closed = c.recv_all()
        self.assertTrue(closed)
        self.assertEqual(data, b"")

    def test_second_connect_closes(self):
        sub = Sub(self.broker.port, "c/#", count=1, timeout=4)
        c = RawClient(self.broker.port)
        self.assertEqual(c.connect(b"twice"), (0x20, b"\x00\x00"))
        c.send(connect_packet(b"twice"))
        data, closed = c.recv_all()
        self.assertTrue(closed)
        self.assertEqual(data, b"")
        pub(self.broker.port, "c/ok", "still")
        self.assertEqual(sub.lines(), ["c/ok still"])

    def test_first_packet_not_connect_closes(self):
        c = RawClient(self.broker.port)
        c.send(b"\xc0\x00")  # PINGREQ
        data, closed = c.recv_all()
        self.assertTrue(closed)
        self.assertEqual(data, b"")

    def test_no_connect_within_timeout_closes(self):
        c = RawClient(self.broker.port)
        start = time.time()
        data, closed = c.recv_all(timeout=5)
        self.assertTrue(closed)
        self.assertEqual(data, b"")
        self.assertLess(time.time() - start, 4.5)


class ConnectV5BadLevel(unittest.TestCase):
    def test_bad_level_v5_like(self):
        # A v5-looking CONNECT with an unknown level still gets the 3.1.1 answer
        # (the server cannot know the client speaks v5), then close.
        with Broker() as b:
            c = RawClient(b.port)
            c.send(with_level(6))
            pk = c.recv_packet()
            self.assertIsNotNone(pk)
            self.assertEqual(pk[0], 0x20)
            self.assertIn(pk[1][-1], (0x01, 0x84))
            self.assertTrue(c.recv_all()[1])
            self.assertTrue(b.alive())


class Anonymous(unittest.TestCase):
    def test_anonymous_refused(self):
        with Broker({"allow_anonymous": False}) as b:
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"anon"), (0x20, b"\x00\x05"))
            self.assertTrue(c.recv_all()[1])
            c5 = RawClient(b.port)
            first, body = c5.connect(b"anon5", version=5)
            self.assertEqual(first, 0x20)
            self.assertIn(body[1], (0x86, 0x87))
            self.assertTrue(c5.recv_all()[1])


if __name__ == "__main__":
    main()
