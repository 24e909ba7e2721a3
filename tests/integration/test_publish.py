"""PUBLISH acknowledgement flows over raw sockets: QoS 1 PUBACK, QoS 2
PUBREC/PUBREL/PUBCOMP with exactly-once delivery of a re-sent DUP, and the
broker's own QoS 2 flow towards a subscriber."""

from harness import (BrokerTestCase, RawClient, Sub, main, pub, publish_packet,
                     subscribe_packet)


class Publish(BrokerTestCase):
    def test_qos1_puback(self):
        s = Sub(self.port, "p/#", count=1, timeout=3)
        c = RawClient(self.port)
        c.connect(b"q1")
        c.send(publish_packet("p/1", "one", qos=1, packet_id=7))
        self.assertEqual(c.recv_packet(), (0x40, b"\x00\x07"))
        self.assertEqual(s.lines(), ["p/1 one"])
        c.close()

    def test_qos2_exactly_once_with_dup(self):
        s = Sub(self.port, "p/#", timeout=1.5)
        c = RawClient(self.port)
        c.connect(b"q2")
        pk = publish_packet("p/2", "two", qos=2, packet_id=9)
        c.send(pk)
        self.assertEqual(c.recv_packet(), (0x50, b"\x00\x09"))
        c.send(bytes([pk[0] | 0x08]) + pk[1:])  # DUP re-send before PUBREL
        self.assertEqual(c.recv_packet(), (0x50, b"\x00\x09"))
        c.send(b"\x62\x02\x00\x09")
        self.assertEqual(c.recv_packet(), (0x70, b"\x00\x09"))
        c.close()
        self.assertEqual(s.lines(), ["p/2 two"])  # one copy only

    def test_qos2_to_subscriber(self):
        c = RawClient(self.port)
        c.connect(b"sub2")
        c.send(subscribe_packet([("p/#", 2)]))
        self.assertEqual(c.recv_packet(), (0x90, b"\x00\x01\x02"))
        pub(self.port, "p/x", "exact", "-q", "2")
        first, body = c.recv_packet()
        self.assertEqual(first, 0x34)
        pid = body[5:7]
        self.assertEqual(body[7:], b"exact")
        c.send(b"\x50\x02" + pid)
        self.assertEqual(c.recv_packet(), (0x62, pid))
        c.send(b"\x70\x02" + pid)
        self.assertIsNone(c.recv_packet(timeout=0.5))
        c.close()

    def test_v5_qos1_puback(self):
        c = RawClient(self.port)
        first, _ = c.connect(b"q1v5", version=5)
        self.assertEqual(first, 0x20)
        c.send(publish_packet("p/5", "five", qos=1, packet_id=3, version=5))
        first, body = c.recv_packet()
        self.assertEqual(first, 0x40)
        self.assertEqual(body[:2], b"\x00\x03")
        # no subscriber: 0x10 No matching subscribers, or 0x00 (both allowed)
        self.assertIn(body[2] if len(body) > 2 else 0, (0x00, 0x10))
        c.close()


if __name__ == "__main__":
    main()
