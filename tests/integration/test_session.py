"""Persistent sessions (3.1.1 clean=0, 5.0 session expiry), the offline
queue, clean sessions and takeover, with mosquitto clients and raw sockets."""

import time

from harness import BrokerTestCase, RawClient, Sub, connect_packet, main, pub, subscribe_packet


class Session(BrokerTestCase):
    def check_offline_queue(self, v):
        cid = "persist" + v
        extra = ("-c", "-i", cid, "-q", "1")
        if v == "5":
            extra += ("-x", "300")
        first = Sub(self.port, "s/#", *extra, count=1, timeout=3, version=v)
        pub(self.port, "s/0", "before", "-q", "1", version=v)
        self.assertEqual(first.lines(), ["s/0 before"])
        for i in range(5):
            pub(self.port, "s/%d" % i, "q1-%d" % i, "-q", "1", version=v)
            pub(self.port, "s/%d" % i, "q0-%d" % i, "-q", "0", version=v)
        pub(self.port, "s/x", "q2", "-q", "2", version=v)
        again = Sub(self.port, "s/#", *extra, count=6, timeout=3, version=v)
        self.assertEqual(again.lines(), ["s/%d q1-%d" % (i, i) for i in range(5)] + ["s/x q2"])

    def test_acked_queue_not_redelivered_raw(self):
        c = RawClient(self.port)
        self.assertEqual(c.connect(b"rq", clean=False), (0x20, b"\x00\x00"))
        c.send(subscribe_packet([("s/#", 1)]))
        self.assertEqual(c.recv_packet(), (0x90, b"\x00\x01\x01"))
        c.send(b"\xe0\x00")
        c.close()
        time.sleep(0.2)
        for i in range(3):
            pub(self.port, "s/%d" % i, "m%d" % i, "-q", "1")
        pub(self.port, "s/z", "qos0", "-q", "0")
        # mosquitto_pub returns once it has sent a QoS 0 message: let it be
        # routed (and dropped) while the session is still offline.
        time.sleep(0.3)
        c = RawClient(self.port)
        self.assertEqual(c.connect(b"rq", clean=False), (0x20, b"\x01\x00"))
        for i in range(3):
            first, body = c.recv_packet()
            self.assertEqual(first, 0x32)
            self.assertEqual(body[:5], b"\x00\x03s/%d" % i)
            c.send(b"\x40\x02" + body[5:7])
        self.assertIsNone(c.recv_packet(timeout=0.5))  # QoS 0 was not queued
        c.send(b"\xe0\x00")
        c.close()
        time.sleep(0.2)
        c = RawClient(self.port)
        self.assertEqual(c.connect(b"rq", clean=False), (0x20, b"\x01\x00"))
        self.assertIsNone(c.recv_packet(timeout=0.7))  # acknowledged: nothing comes back
        c.close()

    def test_offline_queue_v311(self):
        self.check_offline_queue("311")

    def test_offline_queue_v5(self):
        self.check_offline_queue("5")

    def test_clean_session_forgets(self):
        first = Sub(self.port, "f/#", "-c", "-i", "forget", "-q", "1", count=1, timeout=3)
        pub(self.port, "f/a", "x", "-q", "1")
        self.assertEqual(first.lines(), ["f/a x"])
        c = RawClient(self.port)
        # clean=1 discards the stored session; CONNACK session present = 0
        self.assertEqual(c.connect(b"forget", clean=True), (0x20, b"\x00\x00"))
        c.send(b"\xe0\x00")
        c.close()
        pub(self.port, "f/a", "lost", "-q", "1")
        c = RawClient(self.port)
        self.assertEqual(c.connect(b"forget", clean=False), (0x20, b"\x00\x00"))
        self.assertIsNone(c.recv_packet(timeout=0.7))  # no subscription survived
        c.close()

    def test_session_present_flag(self):
        c = RawClient(self.port)
        self.assertEqual(c.connect(b"sp", clean=False), (0x20, b"\x00\x00"))
        c.send(b"\xe0\x00")
        c.close()
        time.sleep(0.2)
        c = RawClient(self.port)
        self.assertEqual(c.connect(b"sp", clean=False), (0x20, b"\x01\x00"))
        c.close()

    def test_takeover_by_mosquitto_client(self):
        first = RawClient(self.port)
        self.assertEqual(first.connect(b"dup", version=5)[0], 0x20)
        pub(self.port, "t/x", "hello", "-i", "dup", "-q", "1", version="5")
        data, closed = first.recv_all()
        self.assertTrue(closed)
        self.assertEqual((data[0], data[2]), (0xE0, 0x8E))  # Session taken over

    def test_takeover_raw_v311_and_v5(self):
        for v in (4, 5):
            a = RawClient(self.port)
            self.assertEqual(a.connect(b"same%d" % v, version=v)[0], 0x20)
            b = RawClient(self.port)
            self.assertEqual(b.connect(b"same%d" % v, version=v)[0], 0x20)
            data, closed = a.recv_all()
            self.assertTrue(closed)
            if v == 5:
                self.assertEqual((data[0], data[2]), (0xE0, 0x8E))
            else:
                self.assertEqual(data, b"")
            b.send(b"\xc0\x00")
            self.assertEqual(b.recv_packet(), (0xD0, b""))
            b.close()

    def check_offline_queue_drops_qos0(self, version):
        cid = "persist-" + version
        # Subscribe with a persistent session, then leave.
        first = Sub(self.port, "q/" + version, "-c", "-i", cid, "-q", "1", "-x" if version == "5" else "-c",
                    *(["600"] if version == "5" else []), count=1, timeout=3, version=version)
        pub(self.port, "q/" + version, "online", "-q", "1", version=version)
        self.assertEqual(first.lines(), [f"q/{version} online"])
        for i in range(3):
            pub(self.port, "q/" + version, f"offline{i}", "-q", "1", version=version)
        pub(self.port, "q/" + version, "qos0-dropped", "-q", "0", version=version)
        again = Sub(self.port, "q/" + version, "-c", "-i", cid, "-q", "1", "-x" if version == "5" else "-c",
                    *(["600"] if version == "5" else []), count=3, timeout=3, version=version)
        self.assertEqual(again.lines(), [f"q/{version} offline{i}" for i in range(3)])

    def test_offline_queue_drops_qos0_v311(self):
        self.check_offline_queue_drops_qos0("311")

    def test_offline_queue_drops_qos0_v5(self):
        self.check_offline_queue_drops_qos0("5")

    def test_clean_session_forgets_subscription(self):
        s = Sub(self.port, "clean/t", "-i", "cleaner", "-q", "1", count=1, timeout=2)
        pub(self.port, "clean/t", "one", "-q", "1")
        s.lines()
        pub(self.port, "clean/t", "lost", "-q", "1")
        again = Sub(self.port, "x/never", "-i", "cleaner", "-q", "1", timeout=1)
        self.assertEqual(again.lines(), [])

    def test_takeover_closes_the_first_connection(self):
        first = RawClient(self.port)
        self.assertEqual(first.connect(b"twin", version=5)[0], 0x20)
        second = RawClient(self.port)
        second.send(connect_packet(b"twin", version=5))
        data, closed = first.recv_all(timeout=3)
        self.assertTrue(closed)
        self.assertEqual(data[0], 0xE0)  # DISCONNECT
        self.assertEqual(data[2], 0x8E)  # session taken over
        second.sock.settimeout(3)
        self.assertEqual(second.sock.recv(64)[0], 0x20)
        second.close()

    def test_takeover_v311_keeps_subscriptions(self):
        holder = RawClient(self.port)
        holder.send(connect_packet(b"taker", clean=False))
        holder.send(subscribe_packet([("take/t", 1)]))
        holder.sock.settimeout(3)
        time.sleep(0.3)
        # A new connection with the same id takes the session over.
        newer = Sub(self.port, "take/other", "-c", "-i", "taker", "-q", "1", count=1, timeout=3)
        data, closed = holder.recv_all(timeout=3)
        holder.close()
        self.assertTrue(closed)  # the first connection was closed
        pub(self.port, "take/t", "moved", "-q", "1")  # its subscription now serves the new one
        self.assertEqual(newer.lines(), ["take/t moved"])


if __name__ == "__main__":
    main()
