"""Per-client publish rate limits (max_publish_rate, max_publish_bytes_rate):
v5 publishes over the rate are refused with PUBACK/PUBREC 0x97 and not
routed; 3.1.1 publishers are slowed down (the broker stops reading) and lose
nothing."""

import subprocess
import time
import unittest

from harness import Broker, RawClient, Sub, main, publish_packet


class V5Refused(unittest.TestCase):
    def test_messages_over_the_rate_get_0x97(self):
        with Broker({"max_publish_rate": 5}) as b:
            s = Sub(b.port, "r/#", count=20, timeout=3, version="5")
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"fast", version=5)[1][1], 0)
            codes = []
            for i in range(1, 13):
                c.send(publish_packet("r/%d" % i, "m", qos=1, packet_id=i, version=5))
                pk = c.recv_packet()
                self.assertEqual(pk[0], 0x40)
                codes.append(pk[1][2] if len(pk[1]) > 2 else 0)
            c.send(publish_packet("r/q2", "m", qos=2, packet_id=50, version=5))
            pk = c.recv_packet()
            self.assertEqual(pk[0], 0x50)
            self.assertEqual(pk[1][2], 0x97)
            accepted = codes.count(0)
            self.assertGreaterEqual(accepted, 5)  # the first second's burst
            self.assertGreaterEqual(codes.count(0x97), 12 - accepted)
            self.assertEqual(codes[:5], [0] * 5)
            self.assertIn(0x97, codes)
            self.assertEqual(set(codes), {0, 0x97})
            lines = s.lines()
            self.assertEqual(len(lines), accepted)  # refused messages were not routed
            self.assertEqual(lines[:5], ["r/%d m" % i for i in range(1, 6)])
            c.close()

    def test_bytes_rate(self):
        with Broker({"max_publish_bytes_rate": 1000}) as b:
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"big", version=5)[1][1], 0)
            c.send(publish_packet("b", "x" * 600, qos=1, packet_id=1, version=5))
            self.assertEqual(c.recv_packet(), (0x40, b"\x00\x01"))
            c.send(publish_packet("b", "x" * 600, qos=1, packet_id=2, version=5))
            self.assertEqual(c.recv_packet(), (0x40, b"\x00\x02\x97"))
            c.send(publish_packet("b", "x" * 100, qos=1, packet_id=3, version=5))
            self.assertEqual(c.recv_packet(), (0x40, b"\x00\x03"))
            c.close()


class V311Slowed(unittest.TestCase):
    def test_publisher_is_held_to_the_rate_and_nothing_is_lost(self):
        with Broker({"max_publish_rate": 5, "sys_interval": 1}) as b:
            s = Sub(b.port, "slow", count=15, timeout=10)
            start = time.time()
            lines = "\n".join("m%d" % i for i in range(15)) + "\n"
            r = subprocess.run(["mosquitto_pub", "-p", str(b.port), "-t", "slow", "-q", "1", "-l"],
                               input=lines, capture_output=True, text=True, timeout=20)
            elapsed = time.time() - start
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(s.lines(), ["slow m%d" % i for i in range(15)])
            # A burst of 5, then 10 more at 5/s: at least ~2 s (a lower bound only).
            self.assertGreaterEqual(elapsed, 1.6)
            counter = Sub(b.port, "$SYS/broker/publish/messages/rate_limited", count=2, timeout=4).lines()
            self.assertGreater(int(counter[-1].split()[1]), 0)


if __name__ == "__main__":
    main()
