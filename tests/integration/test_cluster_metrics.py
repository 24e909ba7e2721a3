"""/metrics of cluster nodes (bridge/cluster's metric source): two real
actormq nodes, each with an http listener; a node's actormq_cluster_*
families name both nodes, count what it forwarded and what reached the
other, and forget a node that was stopped. A single node has none."""

import unittest

from harness import free_port, main, wait_for
from http_util import ApiBroker
from paho_util import SubscribeOptions, V5Client, mqtt
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

    def test_quick_subscribe_and_unsubscribe_leave_the_peers_the_filters_still_subscribed(self):
        """A node announces a filter while its routers' table has a route of
        it, checking each change as it hears of it: changes that follow each
        other faster than it hears of them (here, sent without waiting for
        their acknowledgements) end with the peer holding exactly the filters
        some session still subscribes to."""
        p1, p2 = free_port(), free_port()
        a = self.node("q1", p1)
        b = self.node("q2", p2, seeds=[p1])
        self.assertTrue(wait_for(lambda: self.metrics(a)["actormq_cluster_nodes"] == 2, timeout=10))
        remote = lambda: self.metrics(a)["actormq_cluster_routes_remote"]
        clients = [self.client(b, "churn%d" % i) for i in range(4)]
        kept = set()
        for round_ in range(25):
            for i, cl in enumerate(clients):
                f = "churn/%d/%d" % (i, round_ % 5)
                opts = SubscribeOptions(qos=1)
                cl.c.subscribe(f, options=opts)
                cl.c.unsubscribe(f)
                if (round_ + i) % 3 == 0:
                    cl.c.subscribe(f, options=opts)
                    kept.add((i, f))
                else:
                    kept.discard((i, f))
            # Two sessions on one filter: one of them leaves it.
            clients[0].c.subscribe("churn/both", options=SubscribeOptions(qos=1))
            clients[1].c.subscribe("churn/both", options=SubscribeOptions(qos=1))
            clients[round_ % 2].c.unsubscribe("churn/both")
        expected = len({f for _, f in kept}) + 1
        self.assertTrue(wait_for(lambda: remote() == expected, timeout=10), (remote(), expected))
        clients[0].quiet(1.0)
        self.assertEqual(remote(), expected)
        # And they route: one kept filter, and the one both shared.
        pub = self.client(a, "churn-pub")
        i, f = sorted(kept)[0]
        pub.publish(f, b"k", qos=1)
        pub.publish("churn/both", b"b", qos=1)
        self.assertIn(b"k", [m.payload for m in clients[i].wait_msgs(1)])
        got_both = clients[1].wait_msgs(1)  # round 24 left churn/both to clients[1]
        self.assertIn(b"b", [m.payload for m in got_both])

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
