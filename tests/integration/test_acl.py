"""ACL files (mosquitto syntax and meaning): the anonymous section, user
sections, read/write/readwrite/deny, patterns with %u and %c, denied
subscriptions in SUBACK (0x80 / 0x87), denied publishes (v5 PUBACK/PUBREC
0x87; 3.1.1 acknowledged and dropped), and read access checked at delivery."""

import unittest

from auth_util import Files
from harness import Broker, RawClient, Sub, connect_packet, main, pub, publish_packet, run, subscribe_packet

ACL = """# anonymous clients
topic read public/#
topic readwrite open/rw

user alice
topic readwrite a/#
topic deny a/secret
topic write cmd/+

user bob
topic read a/#

pattern readwrite dev/%u/#
pattern write status/%c
"""


class Acl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = Files()
        pw = cls.files.passwd("pw", [("alice", "a"), ("bob", "b"), ("carol", "c")])
        acl = cls.files.write("acl", ACL)
        cls.broker = Broker({"password_file": pw, "acl_file": acl})
        cls.port = cls.broker.port

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.files.cleanup()

    def raw(self, user=None, password=None, version=4, client_id=b"raw"):
        c = RawClient(self.port)
        if user is None:
            c.send(connect_packet(client_id, version))
        else:
            c.send(connect_packet(client_id, version, username=user, password=password))
        pk = c.recv_packet()
        self.assertEqual(pk[0], 0x20)
        self.assertEqual(pk[1][1], 0)
        return c

    def suback_codes(self, c, filters, version):
        c.send(subscribe_packet([(f, 1) for f in filters], packet_id=7, version=version))
        pk = c.recv_packet()
        self.assertEqual(pk[0], 0x90)
        return list(pk[1][3:] if version == 5 else pk[1][2:])

    def test_anonymous_section(self):
        s = Sub(self.port, "#", count=2, timeout=5)
        pub(self.port, "open/rw", "anon-rw")
        pub(self.port, "public/x", "anon-denied")  # read only for anonymous clients
        pub(self.port, "public/y", "by-alice", "-u", "alice", "-P", "a")  # alice may not write there
        pub(self.port, "a/x", "alice-a")  # anonymous may not read a/#
        pub(self.port, "open/rw", "anon-rw-2")
        self.assertEqual(s.lines(), ["open/rw anon-rw", "open/rw anon-rw-2"])

    def test_user_sections_and_deny(self):
        s = Sub(self.port, "a/#", "-u", "bob", "-P", "b", count=2, timeout=5)
        pub(self.port, "a/1", "one", "-u", "alice", "-P", "a")
        pub(self.port, "a/secret", "hidden", "-u", "alice", "-P", "a")  # deny for alice's write
        pub(self.port, "a/2", "bob-cannot-write", "-u", "bob", "-P", "b")
        pub(self.port, "a/3", "three", "-u", "alice", "-P", "a", "-q", "1")
        self.assertEqual(s.lines(), ["a/1 one", "a/3 three"])

    def test_patterns_u_and_c(self):
        s = Sub(self.port, ["dev/carol/#", "status/#"], "-u", "carol", "-P", "c", count=1, timeout=4)
        pub(self.port, "dev/carol/t", "own", "-u", "carol", "-P", "c")
        pub(self.port, "dev/carol/t", "alice-not-carol", "-u", "alice", "-P", "a")
        self.assertEqual(s.lines(), ["dev/carol/t own"])
        # %c: a client may write status/<its client id> only; carol reads status/# through no rule.
        s = Sub(self.port, "#", "-u", "alice", "-P", "a", count=1, timeout=4)
        pub(self.port, "status/other", "wrong-id", "-u", "carol", "-P", "c", "-i", "dev7")
        pub(self.port, "a/status", "marker", "-u", "alice", "-P", "a")
        self.assertEqual(s.lines(), ["a/status marker"])
        c = self.raw("carol", "c", version=5, client_id=b"dev7")
        c.send(publish_packet("status/dev7", "mine", qos=1, packet_id=3, version=5))
        self.assertEqual(c.recv_packet(), (0x40, b"\x00\x03"))  # PUBACK success
        c.send(publish_packet("status/dev8", "not-mine", qos=1, packet_id=4, version=5))
        self.assertEqual(c.recv_packet(), (0x40, b"\x00\x04\x87"))
        c.close()

    def test_denied_subscriptions_in_suback(self):
        c = self.raw("alice", "a", version=4)
        self.assertEqual(self.suback_codes(c, ["a/#", "a/secret", "other/#", "cmd/+", "#"], 4),
                         [1, 0x80, 0x80, 0x80, 1])
        c.close()
        c = self.raw("alice", "a", version=5, client_id=b"raw5")
        self.assertEqual(self.suback_codes(c, ["a/#", "a/secret", "other/#", "$SYS/#"], 5), [1, 0x87, 0x87, 0x87])
        # Shared subscriptions are checked on the filter after "$share/{group}/".
        self.assertEqual(self.suback_codes(c, ["$share/g/a/#", "$share/g/other/#"], 5), [1, 0x87])
        c.close()
        r = run(["mosquitto_sub", "-p", str(self.port), "-t", "other/x", "-u", "bob", "-P", "b", "-W", "2"])
        self.assertIn("denied", r.stderr + r.stdout)

    def test_denied_publish_acks(self):
        c = self.raw("bob", "b", version=5, client_id=b"bob5")
        c.send(publish_packet("a/x", "no", qos=1, packet_id=11, version=5))
        self.assertEqual(c.recv_packet(), (0x40, b"\x00\x0b\x87"))
        c.send(publish_packet("a/x", "no", qos=2, packet_id=12, version=5))
        self.assertEqual(c.recv_packet(), (0x50, b"\x00\x0c\x87"))
        c.close()
        # 3.1.1: acknowledged as usual, not routed.
        s = Sub(self.port, "a/#", "-u", "alice", "-P", "a", count=1, timeout=4)
        c = self.raw("bob", "b", version=4, client_id=b"bob4")
        c.send(publish_packet("a/y", "dropped", qos=1, packet_id=13))
        self.assertEqual(c.recv_packet(), (0x40, b"\x00\x0d"))
        c.send(publish_packet("a/y", "dropped2", qos=2, packet_id=14))
        self.assertEqual(c.recv_packet(), (0x50, b"\x00\x0e"))
        c.send(b"\x62\x02\x00\x0e")  # PUBREL
        self.assertEqual(c.recv_packet(), (0x70, b"\x00\x0e"))
        c.close()
        pub(self.port, "a/z", "allowed", "-u", "alice", "-P", "a")
        self.assertEqual(s.lines(), ["a/z allowed"])

    def test_read_checked_at_delivery_for_wildcards(self):
        s = Sub(self.port, "#", "-u", "bob", "-P", "b", count=2, timeout=5)
        pub(self.port, "open/rw", "bob-may-not-read")
        pub(self.port, "a/ok", "first", "-u", "alice", "-P", "a")
        pub(self.port, "dev/alice/x", "alices-own", "-u", "alice", "-P", "a")
        pub(self.port, "a/ok2", "second", "-u", "alice", "-P", "a")
        self.assertEqual(s.lines(), ["a/ok first", "a/ok2 second"])

    def test_offline_queue_is_checked_when_sent(self):
        # A persistent session queues while its client is away; what it may
        # not read is dropped when the queue is sent.
        r = run(["mosquitto_sub", "-p", str(self.port), "-u", "bob", "-P", "b", "-i", "bob-q", "-c", "-q", "1",
                 "-t", "#", "-W", "1"])
        self.assertIn(r.returncode, (0, 27))  # 27: -W timed out
        pub(self.port, "dev/alice/q", "not-for-bob", "-u", "alice", "-P", "a", "-q", "1")
        pub(self.port, "a/q", "for-bob", "-u", "alice", "-P", "a", "-q", "1")
        s = Sub(self.port, "#", "-u", "bob", "-P", "b", "-i", "bob-q", "-c", "-q", "1", count=1, timeout=3)
        self.assertEqual(s.lines(), ["a/q for-bob"])

    def test_retained_messages_follow_read_access(self):
        pub(self.port, "a/retained", "kept", "-u", "alice", "-P", "a", "-r")
        pub(self.port, "dev/alice/r", "alice-only", "-u", "alice", "-P", "a", "-r")
        s = Sub(self.port, "#", "-u", "bob", "-P", "b", count=1, timeout=3)
        self.assertEqual(s.lines(), ["a/retained kept"])
        pub(self.port, "a/retained", "", "-u", "alice", "-P", "a", "-r")
        pub(self.port, "dev/alice/r", "", "-u", "alice", "-P", "a", "-r")


if __name__ == "__main__":
    main()
