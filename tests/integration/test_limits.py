"""Configured limits: max_packet_size, max_connections, max_queued_messages,
max_topic_levels. Each breach affects only the offending connection."""

import time
import unittest

from harness import (Broker, RawClient, Sub, main, pub, publish_packet,
                     subscribe_packet)


class Limits(unittest.TestCase):
    def test_max_packet_size(self):
        with Broker({"max_packet_size": 200}) as b:
            s = Sub(b.port, "p/#", count=1, timeout=4)
            for v in (4, 5):
                c = RawClient(b.port)
                self.assertEqual(c.connect(b"big%d" % v, version=v)[0], 0x20)
                c.send(publish_packet("p/big", b"x" * 400, version=v))
                data, closed = c.recv_all()
                self.assertTrue(closed)
                if v == 5:
                    self.assertEqual((data[0], data[2]), (0xE0, 0x95))
                else:
                    self.assertEqual(data, b"")
            pub(b.port, "p/small", "ok")
            self.assertEqual(s.lines(), ["p/small ok"])  # the big ones were never routed
            self.assertTrue(b.alive())

    def connect_when_free(self, port, cid):
        """A connected client once a slot is free: the start-up probe's
        connection (harness) holds one until the broker has seen it close."""
        deadline = time.time() + 5
        while True:
            c = RawClient(port)
            try:
                connack = c.connect(cid)
                if connack is not None and connack[0] == 0x20:
                    return c
            except OSError:
                pass
            c.close()
            self.assertLess(time.time(), deadline, "no free connection slot")
            time.sleep(0.1)

    def test_max_connections(self):
        with Broker({"max_connections": 2}) as b:
            a = self.connect_when_free(b.port, b"a")
            c2 = self.connect_when_free(b.port, b"b")
            c3 = RawClient(b.port)
            try:
                c3.send(b"\x10")
            except OSError:
                pass
            data, closed = c3.recv_all()
            self.assertTrue(closed)
            self.assertNotIn(b"\x20\x02\x00\x00", data)
            a.send(b"\xc0\x00")
            self.assertEqual(a.recv_packet(), (0xD0, b""))
            c2.close()
            # a slot is freed once the broker has seen the close; bounded retry
            deadline = time.time() + 5
            connack = None
            while connack is None and time.time() < deadline:
                time.sleep(0.1)
                c4 = RawClient(b.port)
                try:
                    connack = c4.connect(b"d")
                except OSError:
                    connack = None
                c4.close()
            self.assertEqual(connack, (0x20, b"\x00\x00"))

    def test_max_queued_messages_drops(self):
        with Broker({"max_queued_messages": 5, "max_inflight_messages": 1}) as b:
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"q", clean=False)[0], 0x20)
            c.send(subscribe_packet([("q/#", 1)]))
            self.assertEqual(c.recv_packet()[0], 0x90)
            c.send(b"\xe0\x00")
            c.close()
            time.sleep(0.2)
            for i in range(20):
                pub(b.port, "q/t", "m%d" % i, "-q", "1")
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"q", clean=False), (0x20, b"\x01\x00"))
            got = []
            while True:
                pk = c.recv_packet(timeout=0.8)
                if pk is None:
                    break
                got.append(pk[1][7:].decode())
                c.send(b"\x40\x02" + pk[1][5:7])
            self.assertGreater(len(got), 0)
            self.assertLessEqual(len(got), 6)  # queue (5) plus at most the in-flight window
            self.assertLess(len(got), 20)

    def test_max_topic_levels(self):
        with Broker({"max_topic_levels": 3}) as b:
            s = Sub(b.port, "#", count=1, timeout=4)
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"lv")[0], 0x20)
            c.send(subscribe_packet([("a/b/c/d", 0), ("a/b/c", 0)]))
            self.assertEqual(c.recv_packet(), (0x90, b"\x00\x01\x80\x00"))
            c.send(publish_packet("a/b/c/d", "deep"))
            data, closed = c.recv_all(timeout=2)
            self.assertTrue(closed)
            pub(b.port, "a/b/c", "ok")
            self.assertEqual(s.lines(), ["a/b/c ok"])


if __name__ == "__main__":
    main()
