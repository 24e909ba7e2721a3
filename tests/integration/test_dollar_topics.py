"""Topics beginning with '$' are the server's (MQTT 4.7.2): a client may not
publish or retain there, nor leave a will there, unless an ACL rule names the
topic explicitly (a '#' or '+' at the first level does not match it). Without
an ACL file nothing may be published there. v5: PUBACK/PUBREC 0x87; 3.1.1:
acknowledged and dropped, like any ACL-denied publish."""

import unittest

from auth_util import Files
from harness import Broker, RawClient, connect_packet, main, publish_packet, subscribe_packet, will_connect


class Watcher:
    """A raw subscriber to `filters` (QoS 0) that collects PUBLISH topics."""

    def __init__(self, port, filters, connect=None):
        self.c = RawClient(port)
        self.c.send(connect if connect is not None else connect_packet(b"watcher"))
        ack = self.c.recv_packet()
        assert ack is not None and ack[0] == 0x20 and ack[1][1] == 0, ack
        self.c.send(subscribe_packet([(f, 0) for f in filters], packet_id=1))
        ack = self.c.recv_packet()
        assert ack is not None and ack[0] == 0x90, ack

    def topics_until(self, last_topic, timeout=5, quiet=0.5):
        """The topics received up to `last_topic`, and after it until none
        comes for `quiet` seconds (messages of other clients are not ordered
        with it)."""
        topics = []
        while True:
            pk = self.c.recv_packet(timeout if last_topic not in topics else quiet)
            if pk is None:
                return topics
            if pk[0] & 0xF0 == 0x30:
                n = int.from_bytes(pk[1][:2], "big")
                topics.append(pk[1][2:2 + n].decode())

    def close(self):
        self.c.close()


class NoAcl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker({"sys_interval": 0})
        cls.port = cls.broker.port

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def publisher(self, client_id, version):
        c = RawClient(self.port)
        ack = c.connect(client_id, version=version)
        self.assertEqual(ack[0], 0x20)
        return c

    def test_v5_publish_to_sys_is_refused(self):
        w = Watcher(self.port, ["$SYS/#", "$other/#", "check/v5"])
        c = self.publisher(b"pub5", 5)
        c.send(publish_packet("$SYS/broker/uptime", b"forged", qos=1, retain=True, packet_id=1, version=5))
        ack = c.recv_packet()
        self.assertEqual(ack[0], 0x40)
        self.assertEqual(ack[1][2], 0x87)  # not authorized
        c.send(publish_packet("$other/x", b"forged", qos=2, packet_id=2, version=5))
        rec = c.recv_packet()
        self.assertEqual(rec[0], 0x50)
        self.assertEqual(rec[1][2], 0x87)
        c.send(publish_packet("check/v5", b"ok", version=5))  # same publisher: arrives after the others would
        self.assertEqual(w.topics_until("check/v5"), ["check/v5"])
        c.close()
        w.close()

    def test_311_publish_to_sys_is_dropped_and_not_retained(self):
        w = Watcher(self.port, ["$SYS/#", "check/311"])
        c = self.publisher(b"pub311", 4)
        c.send(publish_packet("$SYS/broker/version", b"forged", qos=1, retain=True, packet_id=1))
        ack = c.recv_packet()
        self.assertEqual(ack[0], 0x40)  # 3.1.1 cannot refuse: acknowledged, dropped
        c.send(publish_packet("$SYS/broker/x", b"forged", retain=True))
        c.send(publish_packet("check/311", b"ok"))
        self.assertEqual(w.topics_until("check/311"), ["check/311"])
        w.close()
        c.close()
        # Nothing was retained: a new subscriber gets no retained message.
        late = Watcher(self.port, ["$SYS/broker/version", "$SYS/broker/x"], connect=connect_packet(b"late"))
        self.assertEqual(late.c.recv_packet(timeout=1), None)
        late.close()

    def test_will_on_sys_topic_is_not_published(self):
        w = Watcher(self.port, ["$SYS/#", "check/will"])
        c = RawClient(self.port)
        c.send(will_connect(b"dying", "$SYS/broker/will", b"bye"))
        self.assertEqual(c.recv_packet()[0], 0x20)
        c.close()  # no DISCONNECT: the will is due
        c2 = RawClient(self.port)
        c2.send(will_connect(b"dying2", "check/will", b"bye"))
        self.assertEqual(c2.recv_packet()[0], 0x20)
        c2.close()
        got = w.topics_until("check/will")
        self.assertNotIn("$SYS/broker/will", got)
        self.assertIn("check/will", got)
        w.close()


ACL = """\
topic read #
topic read $SYS/#

user ops
topic write $SYS/broker/connection/+/state
topic readwrite ops/#

user everything
topic readwrite #
"""


class WithAcl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = Files()
        pw = cls.files.passwd("pw", [("ops", "o"), ("everything", "e")])
        acl = cls.files.write("acl", ACL)
        cls.broker = Broker({"sys_interval": 0, "password_file": pw, "acl_file": acl})
        cls.port = cls.broker.port

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.files.cleanup()

    def login(self, user, password, client_id, version=5):
        c = RawClient(self.port)
        c.send(connect_packet(client_id, version, username=user, password=password))
        ack = c.recv_packet()
        self.assertEqual(ack[0], 0x20)
        self.assertEqual(ack[1][1], 0)
        return c

    def test_explicit_rule_allows(self):
        w = Watcher(self.port, ["$SYS/#"])
        c = self.login("ops", "o", b"ops5")
        c.send(publish_packet("$SYS/broker/connection/site1/state", b"1", qos=1, packet_id=1, version=5))
        ack = c.recv_packet()
        self.assertEqual(ack[0], 0x40)
        self.assertTrue(len(ack[1]) == 2 or ack[1][2] == 0, ack)  # success
        self.assertEqual(w.topics_until("$SYS/broker/connection/site1/state"),
                         ["$SYS/broker/connection/site1/state"])
        c.close()
        w.close()

    def test_hash_rule_does_not_reach_dollar_topics(self):
        w = Watcher(self.port, ["$SYS/#", "#"])
        c = self.login("everything", "e", b"all5")
        c.send(publish_packet("$SYS/broker/uptime", b"forged", qos=1, packet_id=1, version=5))
        ack = c.recv_packet()
        self.assertEqual(ack[1][2], 0x87)
        c.send(publish_packet("plain/topic", b"ok", version=5))
        self.assertEqual(w.topics_until("plain/topic"), ["plain/topic"])
        c.close()
        w.close()

    def test_will_needs_an_explicit_rule(self):
        w = Watcher(self.port, ["$SYS/#", "ops/done"])
        c = RawClient(self.port)
        c.send(connect_packet(b"w1", username="everything", password="e", will=("$SYS/broker/will", b"x", 0, False)))
        self.assertEqual(c.recv_packet()[0], 0x20)
        c.close()
        c2 = RawClient(self.port)
        c2.send(connect_packet(b"w2", username="ops", password="o",
                                will=("$SYS/broker/connection/w2/state", b"0", 0, False)))
        self.assertEqual(c2.recv_packet()[0], 0x20)
        c2.close()
        c3 = RawClient(self.port)
        c3.send(connect_packet(b"w3", username="ops", password="o", will=("ops/done", b"x", 0, False)))
        self.assertEqual(c3.recv_packet()[0], 0x20)
        c3.close()
        got = w.topics_until("ops/done")
        self.assertNotIn("$SYS/broker/will", got)
        self.assertIn("$SYS/broker/connection/w2/state", got)
        w.close()


if __name__ == "__main__":
    main()
