"""/metrics of cluster nodes (bridge/cluster's metric source): two real
actormq nodes, each with an http listener; a node's actormq_cluster_*
families name both nodes, count what it forwarded and what reached the
other, and forget a node that was stopped. A single node has none."""

import unittest

from harness import free_port, main, wait_for
from http_util import ApiBroker
from paho_util import V5Client, mqtt
from test_cluster_routes import cluster, routes_ready, ups
from test_http_metrics import parse_metrics

class ClusterMetrics(unittest.TestCase):
    def node(self, name, port, seeds=()):
        api = ApiBroker(top=cluster(name, port, seeds=seeds))
        self.addCleanup(api.stop)
        return api

    def metrics(self, api):
        status, _, out = api.request("GET", "/metrics")
        self.assertEqual(status, 200)
        return parse_metrics(out.decode())

    def client(self, api, cid):
        c = V5Client(api.port, cid=cid, version=mqtt.MQTTv5)
        self.addCleanup(c.close)
        return c

    def test_nodes_links_and_forwarded_messages(self):
        p1, p2 = free_port(), free_port()
        a = self.node("m1", p1)
        b = self.node("m2", p2, seeds=[p1])
        self.assertTrue(wait_for(lambda: ups(a.broker, "m2") >= 1 and ups(b.broker, "m1") >= 1, timeout=10),
                        a.broker.output() + b.broker.output())
        sub = self.client(b, "sub")
        sub.subscribe("m/#", qos=1)
        pub = self.client(a, "pub")
        self.assertTrue(routes_ready(pub, [sub], ["m/probe"]))
        before = self.metrics(a)["actormq_cluster_forwarded_sent_total"]
        for i in range(20):
            pub.publish("m/x", str(i).encode(), qos=1)
        sub.wait_msgs(20)
        ma = self.metrics(a)
        self.assertEqual(ma["actormq_cluster_nodes"], 2)
        self.assertEqual(ma['actormq_cluster_node_up{node="m1"}'], 1)
        self.assertEqual(ma['actormq_cluster_node_up{node="m2"}'], 1)
        self.assertGreaterEqual(ma["actormq_cluster_links_up_total"], 1)
        self.assertEqual(ma["actormq_cluster_forwarded_sent_total"], before + 20)
        self.assertEqual(ma["actormq_cluster_forwarded_dropped_total"], 0)
        self.assertEqual(ma["actormq_cluster_routes_remote"], 1)
        # "sub" is on the other node ("pub" is this one's).
        self.assertTrue(wait_for(lambda: self.metrics(a)["actormq_cluster_clients_remote"] == 1))
        self.assertGreater(ma["actormq_cluster_bytes_sent_total"], 0)
        self.assertTrue(wait_for(lambda: self.metrics(b)["actormq_cluster_forwarded_received_total"] >= 20))
        # The other node stops: this one sees one node, and no route of it.
        self.assertEqual(b.stop(), 0)
        self.assertTrue(wait_for(lambda: self.metrics(a)["actormq_cluster_nodes"] == 1, timeout=10))
        ma = self.metrics(a)
        self.assertNotIn('actormq_cluster_node_up{node="m2"}', ma)
        self.assertGreaterEqual(ma["actormq_cluster_links_down_total"], 1)
        self.assertTrue(wait_for(lambda: self.metrics(a)["actormq_cluster_routes_remote"] == 0))
        self.assertTrue(wait_for(lambda: self.metrics(a)["actormq_cluster_clients_remote"] == 0))

    def test_remote_rows_are_counted_once_and_go_with_their_node_only(self):
        """The routers hold the one copy of each peer's rows: a filter two
        sessions of a node share is one row, an unsubscribe takes it, a node
        that goes takes all of its rows and no other node's, and one that
        comes back sends its rows anew."""
        p1, p2, p3 = free_port(), free_port(), free_port()
        a = self.node("m1", p1)
        b = self.node("m2", p2, seeds=[p1])
        c = self.node("m3", p3, seeds=[p1])
        self.assertTrue(wait_for(lambda: self.metrics(a)["actormq_cluster_nodes"] == 3, timeout=10))
        remote = lambda: self.metrics(a)["actormq_cluster_routes_remote"]
        b1, b2 = self.client(b, "b1"), self.client(b, "b2")
        for f in ("r/b/1", "r/b/+", "r/shared"):
            b1.subscribe(f, qos=1)
        b2.subscribe("r/shared", qos=1)  # the same filter on the same node: one row
        c1 = self.client(c, "c1")
        c1.subscribe("r/c/#", qos=1)
        c1.subscribe("r/shared", qos=1)
        self.assertTrue(wait_for(lambda: remote() == 5, timeout=10), remote())
        b1.c.unsubscribe("r/b/1")
        self.assertTrue(wait_for(lambda: remote() == 4, timeout=10), remote())
        # m2 stops: its 2 rows go, m3's 2 stay and still route.
        self.assertEqual(b.stop(), 0)
        self.assertTrue(wait_for(lambda: self.metrics(a)["actormq_cluster_nodes"] == 2, timeout=10))
        self.assertTrue(wait_for(lambda: remote() == 2, timeout=10), remote())
        pub = self.client(a, "pub")
        pub.publish("r/c/x", b"1", qos=1)
        pub.publish("r/shared", b"2", qos=1)
        self.assertEqual(sorted(m.payload for m in c1.wait_msgs(2)), [b"1", b"2"])
        # m2 comes back with one subscription: its new rows, in one reset.
        b = self.node("m2", p2, seeds=[p1])
        self.client(b, "b3").subscribe("r/b/again", qos=1)
        self.assertTrue(wait_for(lambda: remote() == 3, timeout=10), remote())
        self.assertTrue(wait_for(lambda: self.metrics(c)["actormq_cluster_routes_remote"] == 1, timeout=10))

    def test_a_single_node_has_no_cluster_families(self):
        api = ApiBroker()
        try:
            status, _, out = api.request("GET", "/metrics")
            self.assertEqual(status, 200)
            self.assertNotIn("actormq_cluster_", out.decode())
        finally:
            self.assertEqual(api.stop(), 0)

if __name__ == "__main__":
    main()
