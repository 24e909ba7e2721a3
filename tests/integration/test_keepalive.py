"""Keep alive: a silent client is disconnected after 1.5 x keep alive; a
pinging client stays."""

import time
import unittest

from harness import Broker, RawClient, Sub, connect_packet, main, pub


class KeepAlive(unittest.TestCase):
    def test_silent_client_closed(self):
        with Broker() as b:
            s = Sub(b.port, "k/#", count=1, timeout=6)
            for v in (4, 5):
                c = RawClient(b.port)
                self.assertEqual(c.connect(b"ka%d" % v, version=v, keepalive=1)[0], 0x20)
                start = time.time()
                data, closed = c.recv_all(timeout=5)
                self.assertTrue(closed)
                elapsed = time.time() - start
                self.assertGreater(elapsed, 0.9)
                self.assertLess(elapsed, 4.5)
                if v == 5:
                    if data:  # DISCONNECT 0x8D Keep Alive timeout is optional before the close
                        self.assertEqual((data[0], data[2]), (0xE0, 0x8D))
                else:
                    self.assertEqual(data, b"")
            pub(b.port, "k/x", "alive")
            self.assertEqual(s.lines(), ["k/x alive"])

    def test_pinging_client_stays(self):
        with Broker() as b:
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"pinger", keepalive=1)[0], 0x20)
            for _ in range(5):
                time.sleep(0.5)
                c.send(b"\xc0\x00")
                self.assertEqual(c.recv_packet(), (0xD0, b""))
            c.close()

    def test_keepalive_timeout_closes_silent_client(self):
        with Broker() as b:
            c = RawClient(b.port)
            c.send(connect_packet(b"sleepy", keepalive=1))
            start = time.time()
            data, closed = c.recv_all(timeout=6)
            self.assertTrue(closed)
            self.assertEqual(data[0], 0x20)  # only the CONNACK, then the close
            self.assertGreaterEqual(time.time() - start, 1.0)  # never before the keep-alive


if __name__ == "__main__":
    main()
