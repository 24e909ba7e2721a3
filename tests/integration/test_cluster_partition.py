"""A network partition between cluster nodes (DESIGN.md "The cluster
broker"): both sides keep serving; on heal the route tables, retained
messages and client-id registries merge, and a client id connected on both
sides keeps the later connection. Each node runs in a network namespace of
its own (netns.py) and the partition drops packets between nodes without a
reset, as a failed switch does, while the test's clients still reach all
of them. Needs root; skipped where namespaces cannot be made."""

import re
import time
import unittest

import netns
import test_cluster_routes as routes
from harness import Broker, RawV5, free_port, main, parse_packets, session_expiry_prop, wait_for
from paho_util import V5Client, mqtt, session_expiry

WHY_NOT = netns.available()
SESSION_TAKEN_OVER = 0x8E


def forget(*clients):
    for c in clients:
        with c.cond:
            c.msgs.clear()


def down(broker, peer):
    return len(re.findall(r"node link to %s .*: down \(" % re.escape(peer), broker.output()))


@unittest.skipIf(WHY_NOT, WHY_NOT)
class ClusterPartition(unittest.TestCase):
    def setUp(self):
        self.net = netns.Network(3)
        self.addCleanup(self.net.close)
        port = free_port()  # the same MQTT port in every namespace
        link_port = free_port()
        self.nodes = []
        for i in (1, 2, 3):
            config = routes.cluster("n%d" % i, link_port)
            config["cluster"]["bind"] = self.net.host(i)
            config["cluster"]["seeds"] = [] if i == 1 else ["%s:%d" % (self.net.host(1), link_port)]
            config["log_level"] = "info"
            b = Broker(config, port=port, host=self.net.host(i), prefix=self.net.prefix(i))
            self.addCleanup(b.stop)  # before the namespaces go (cleanups run last first)
            self.nodes.append(b)
        n1, n2, n3 = self.nodes
        pairs = [(n1, "n2"), (n1, "n3"), (n2, "n1"), (n2, "n3"), (n3, "n1"), (n3, "n2")]
        self.assertTrue(wait_for(lambda: all(routes.ups(b, peer) >= 1 for b, peer in pairs), timeout=15),
                        self.logs())

    def logs(self):
        return "".join("\n%s:\n%s" % (b.host, b.output()[-3000:]) for b in self.nodes)

    def client(self, broker, cid, clean_start=True, expiry=None):
        c = V5Client(broker.port, cid=cid, clean_start=clean_start, host=broker.host,
                     connect_props=session_expiry(expiry) if expiry is not None else None)
        self.addCleanup(c.close)
        return c

    def test_both_sides_serve_and_the_heal_merges_routes_retained_and_client_ids(self):
        n1, n2, n3 = self.nodes
        p1 = self.client(n1, "p1")
        p2 = self.client(n2, "p2")
        s2 = self.client(n2, "s2")
        s2.subscribe("a/#", qos=1)
        s3 = self.client(n3, "s3")
        s3.subscribe("a/#", qos=1)
        self.assertTrue(routes.routes_ready(p1, [s2, s3], ["a/probe"]), self.logs())
        # A session on n2 that a later connection on n1 will claim.
        early = RawV5(n2.port, b"dev", connect_props=session_expiry_prop(300), clean=False, host=n2.host)
        self.addCleanup(early.close)
        time.sleep(0.5)  # its client id reaches every node

        # {n1, n3} | {n2}
        self.net.cut(1, 2)
        self.net.cut(2, 3)
        self.assertTrue(wait_for(lambda: down(n1, "n2") and down(n3, "n2") and down(n2, "n1") and down(n2, "n3"),
                                 timeout=15), self.logs())

        # Both sides serve their own clients; neither sees the other's messages.
        for i in range(100):
            p1.publish("a/one", str(i).encode(), qos=1)
        got = s3.wait_msgs(100, timeout=10)
        self.assertEqual([m.payload for m in got], [str(i).encode() for i in range(100)])
        p2.publish("a/two", b"minority", qos=1)
        self.assertEqual([(m.topic, m.payload) for m in s2.wait_msgs(1)], [("a/two", b"minority")])
        self.assertEqual(len(s2.quiet(0.3)), 1)
        self.assertEqual(len(s3.quiet(0)), 100)
        forget(s2, s3)
        # What changes on each side meanwhile: subscriptions, a retained
        # message, and the client id "dev" connected again on n1.
        s1 = self.client(n1, "s1")
        s1.subscribe("b/#", qos=1)
        s2b = self.client(n2, "s2b")
        s2b.subscribe("c/#", qos=1)
        p1.publish("r/1", b"set while apart", qos=1, retain=True)
        time.sleep(0.3)
        late = self.client(n1, "dev", clean_start=False, expiry=300)
        self.assertFalse(late.session_present)  # n2's session is out of reach

        self.net.heal(1, 2)
        self.net.heal(2, 3)
        self.assertTrue(wait_for(lambda: routes.ups(n1, "n2") >= 2 and routes.ups(n3, "n2") >= 2, timeout=20),
                        self.logs())
        # The earlier connection of "dev" ends; the later one stays.
        data, closed = early.recv_all(15)
        self.assertTrue(closed, data)
        packets = parse_packets(data)
        self.assertTrue(packets, data)
        self.assertEqual((packets[-1][0], packets[-1][1][:1]), (0xE0, bytes([SESSION_TAKEN_OVER])), data)
        self.assertEqual(late.disconnects, [])
        # Routes made on each side while apart reach across.
        self.assertTrue(routes.routes_ready(p2, [s1], ["b/probe"]), self.logs())
        self.assertTrue(routes.routes_ready(p1, [s2b], ["c/probe"]), self.logs())
        p2.publish("b/x", b"from n2", qos=1)
        p1.publish("c/x", b"from n1", qos=1)
        self.assertEqual([m.payload for m in s1.wait_msgs(1)], [b"from n2"])
        self.assertEqual([m.payload for m in s2b.wait_msgs(1)], [b"from n1"])
        # And the old routes still do, once each.
        self.assertTrue(routes.routes_ready(p1, [s2, s3], ["a/probe"]), self.logs())
        p1.publish("a/again", b"both", qos=1)
        for s in (s2, s3):
            s.wait_msgs(1)
            self.assertEqual([m.payload for m in s.quiet(0.3)], [b"both"])
        # The retained message set on n1 while apart is seen on n2.
        r2 = self.client(n2, "r2")
        r2.subscribe("r/#", qos=1)
        got = r2.wait_msgs(1, timeout=5)
        self.assertEqual([(m.topic, m.payload, m.retain) for m in got], [("r/1", b"set while apart", True)])


if __name__ == "__main__":
    main()
