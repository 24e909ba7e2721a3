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
