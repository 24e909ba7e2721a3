"""MQTT 5 payload format indicator: a payload declared UTF-8 (indicator 1)
that is not is refused with 0x99 on QoS 1 and 2 and dropped on QoS 0; binary
payloads (no indicator, or 0) pass whatever their bytes."""

import unittest

from harness import Broker, RawClient, Sub, main, publish_packet

UTF8 = b"\x01\x01"    # Payload Format Indicator = 1
BINARY = b"\x01\x00"  # Payload Format Indicator = 0
BAD = b"\xff\xfe caf\xc3"  # not UTF-8


class PayloadFormat(unittest.TestCase):
    def test_declared_utf8_is_checked(self):
        with Broker() as b:
            sub = Sub(b.port, "pf/#", count=3, timeout=4, version="5", fmt="%t")
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"pf", version=5)[1][1], 0)  # CONNACK success
            # QoS 1 and 2: refused with Payload format invalid, not routed.
            c.send(publish_packet("pf/q1", BAD, qos=1, packet_id=1, version=5, props=UTF8))
            first, body = c.recv_packet()
            self.assertEqual(first, 0x40)
            self.assertEqual(body[2], 0x99)
            c.send(publish_packet("pf/q2", BAD, qos=2, packet_id=2, version=5, props=UTF8))
            first, body = c.recv_packet()
            self.assertEqual(first, 0x50)
            self.assertEqual(body[2], 0x99)
            # QoS 0: dropped, the connection stays.
            c.send(publish_packet("pf/q0", BAD, qos=0, version=5, props=UTF8))
            # Valid UTF-8 with the indicator, and bad bytes declared binary, pass.
            c.send(publish_packet("pf/ok", "caf\u00e9", qos=1, packet_id=3, version=5, props=UTF8))
            first, body = c.recv_packet()
            self.assertEqual(first, 0x40)
            self.assertTrue(len(body) == 2 or body[2] == 0)
            c.send(publish_packet("pf/bin", b"\xff", qos=1, packet_id=4, version=5, props=BINARY))
            first, body = c.recv_packet()
            self.assertTrue(len(body) == 2 or body[2] == 0)
            c.send(publish_packet("pf/none", b"\xfe", qos=1, packet_id=5, version=5))
            first, body = c.recv_packet()
            self.assertTrue(len(body) == 2 or body[2] == 0)
            topics = sub.lines()
            self.assertEqual(topics, ["pf/ok", "pf/bin", "pf/none"])
            c.close()


if __name__ == "__main__":
    main()
