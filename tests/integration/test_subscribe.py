"""Subscribe/publish through the real broker with mosquitto clients and raw
sockets: wildcards, $-topics, overlapping subscriptions, QoS downgrade,
unsubscribe, invalid filters, many clients."""

import subprocess

from auth_util import Files
from harness import (Broker, BrokerTestCase, RawClient, Sub, main, pub,
                     subscribe_packet)


class SubscribePublish(BrokerTestCase):
    config = {"sys_interval": 1}

    def check_wildcards(self, v):
        plus = Sub(self.port, "a/+/c", count=2, timeout=3, version=v)
        hash_ = Sub(self.port, "a/#", count=4, timeout=3, version=v)
        for t in ("a/b/c", "a/x/c", "a/b/c/d", "a"):
            pub(self.port, t, t, version=v)
        self.assertEqual(plus.lines(), ["a/b/c a/b/c", "a/x/c a/x/c"])
        self.assertEqual(hash_.lines(), ["a/b/c a/b/c", "a/x/c a/x/c", "a/b/c/d a/b/c/d", "a a"])

    def test_wildcards_v311(self):
        self.check_wildcards("311")

    def test_wildcards_v5(self):
        self.check_wildcards("5")

    def test_dollar_topics_not_matched_by_leading_wildcards(self):
        hash_ = Sub(self.port, ["#", "+/broker/#"], timeout=2)
        pub(self.port, "$x/y", "no")
        pub(self.port, "n/m", "yes")
        lines = hash_.lines()
        self.assertEqual(lines, ["n/m yes"])  # sys_interval=1 publishes $SYS too; none may arrive

    def test_dollar_topic_matched_explicitly(self):
        # A client publishes to a "$" topic only where an ACL rule names it (MQTT 4.7.2).
        files = Files()
        try:
            acl = files.write("acl", "topic readwrite $x/#\n")
            self.broker.stop()
            self.broker = Broker({"sys_interval": 1, "acl_file": acl})
            self.port = self.broker.port
            s = Sub(self.port, "$x/#", count=1, timeout=3)
            pub(self.port, "$x/y", "yes")
            self.assertEqual(s.lines(), ["$x/y yes"])
        finally:
            files.cleanup()

    def test_overlapping_one_copy_highest_qos_v311(self):
        c = RawClient(self.port)
        self.assertEqual(c.connect(b"ovl"), (0x20, b"\x00\x00"))
        c.send(subscribe_packet([("o/#", 0), ("o/+", 1), ("o/x", 0)]))
        self.assertEqual(c.recv_packet(), (0x90, b"\x00\x01\x00\x01\x00"))
        pub(self.port, "o/x", "m", "-q", "2")
        first, body = c.recv_packet()
        self.assertEqual(first & 0xF6, 0x32)  # PUBLISH QoS 1
        self.assertEqual(body[2:5], b"o/x")
        self.assertTrue(body.endswith(b"m"))
        self.assertIsNone(c.recv_packet(timeout=0.7))  # no second copy
        c.close()

    def test_qos_downgrade(self):
        s = Sub(self.port, "d/t", "-q", "1", count=1, timeout=3, fmt="%q %p")
        pub(self.port, "d/t", "x", "-q", "2")
        self.assertEqual(s.lines(), ["1 x"])
        s0 = Sub(self.port, "d/t", "-q", "0", count=1, timeout=3, fmt="%q %p")
        pub(self.port, "d/t", "y", "-q", "1")
        self.assertEqual(s0.lines(), ["0 y"])
        s2 = Sub(self.port, "d/t", "-q", "2", count=1, timeout=3, fmt="%q %p")
        pub(self.port, "d/t", "z", "-q", "1")
        self.assertEqual(s2.lines(), ["1 z"])  # never upgraded above the publish

    def test_unsubscribe_stops_delivery(self):
        c = RawClient(self.port)
        c.connect(b"uns")
        c.send(subscribe_packet([("u/t", 0)], packet_id=5))
        self.assertEqual(c.recv_packet(), (0x90, b"\x00\x05\x00"))
        pub(self.port, "u/t", "one")
        first, body = c.recv_packet()
        self.assertEqual(first, 0x30)
        c.send(b"\xa2\x07\x00\x06\x00\x03u/t")
        self.assertEqual(c.recv_packet(), (0xB0, b"\x00\x06"))
        pub(self.port, "u/t", "two")
        self.assertIsNone(c.recv_packet(timeout=0.7))
        c.close()

    def test_invalid_filter_suback_failure_v311(self):
        c = RawClient(self.port)
        c.connect(b"bad")
        c.send(subscribe_packet([("a/#/b", 0), ("ok/+", 1), ("a+/b", 0)], packet_id=9))
        self.assertEqual(c.recv_packet(), (0x90, b"\x00\x09\x80\x01\x80"))
        pub(self.port, "ok/1", "fine")
        first, _ = c.recv_packet()
        self.assertEqual(first & 0xF0, 0x30)
        c.close()

    def test_invalid_filter_suback_failure_v5(self):
        c = RawClient(self.port)
        first, _ = c.connect(b"bad5", version=5)
        self.assertEqual(first, 0x20)
        c.send(subscribe_packet([("a/#/b", 0), ("ok/+", 1)], packet_id=9, version=5))
        first, body = c.recv_packet()
        self.assertEqual(first, 0x90)
        self.assertEqual(body[0:2], b"\x00\x09")
        self.assertEqual(body[-2:], b"\x8f\x01")  # Topic Filter invalid, granted 1
        c.close()

    def test_many_publishers_and_subscribers(self):
        subs = [Sub(self.port, "m/#", "-q", "1", count=40, timeout=10) for _ in range(4)]
        procs = []
        for p in range(4):
            payload = "\n".join("p%d-%d" % (p, i) for i in range(10)) + "\n"
            procs.append(subprocess.Popen(
                ["mosquitto_pub", "-p", str(self.port), "-t", "m/%d" % p, "-q", "1", "-l"],
                stdin=subprocess.PIPE, text=True))
            procs[-1].stdin.write(payload)
            procs[-1].stdin.close()
        for p in procs:
            self.assertEqual(p.wait(10), 0)
        for s in subs:
            lines = s.lines()
            self.assertEqual(len(lines), 40)
            for p in range(4):
                mine = [l.split()[1] for l in lines if l.startswith("m/%d " % p)]
                self.assertEqual(mine, ["p%d-%d" % (p, i) for i in range(10)])  # per-publisher order


if __name__ == "__main__":
    main()
