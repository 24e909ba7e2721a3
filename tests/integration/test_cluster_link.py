"""Node links between real actormq processes (the `cluster` object): nodes
link through a seed with the cookie and learn of each other from it, over
mutual TLS when asked, a wrong cookie or a foreign certificate is refused, a node killed with SIGKILL and started again links
again, and MQTT goes on meanwhile."""

import re
import shutil
import signal
import tempfile
import unittest

from harness import Broker, Sub, free_port, main, pub, wait_for
from tls_util import Pki, cleanup


def cluster(name, port, seeds=(), cookie="monster-cookie", **extra):
    c = {"node_name": name, "bind": "127.0.0.1", "port": port, "cookie": cookie,
         "seeds": ["127.0.0.1:%d" % p for p in seeds], "heartbeat_ms": 100, "node_down_after_ms": 1000}
    c.update(extra)
    return {"cluster": c}


def ups(broker, peer):
    """How many times `broker` logged its link to `peer` up."""
    return len(re.findall(r"node link to %s .*: up \(" % re.escape(peer), broker.output()))


class ClusterLink(unittest.TestCase):
    def test_nodes_link_through_a_seed_and_serve_mqtt(self):
        p1, p2 = free_port(), free_port()
        with Broker(cluster("n1", p1)) as n1, Broker(cluster("n2", p2, seeds=[p1])) as n2:
            self.assertTrue(wait_for(lambda: ups(n1, "n2") == 1 and ups(n2, "n1") == 1), n1.output() + n2.output())
            self.assertIn("cluster node n1 (id ", n1.output())
            for b in (n1, n2):
                s = Sub(b.port, "t", count=1, timeout=5)
                pub(b.port, "t", "hello")
                self.assertEqual(s.lines(), ["t hello"])

    def test_three_nodes_join_through_one_seed_and_all_link(self):
        p1, p2, p3 = free_port(), free_port(), free_port()
        with Broker(cluster("n1", p1)) as n1, Broker(cluster("n2", p2, seeds=[p1])) as n2, \
                Broker(cluster("n3", p3, seeds=[p1])) as n3:
            # n2 and n3 were told only of n1: they learn of each other from it.
            pairs = [(n1, "n2"), (n1, "n3"), (n2, "n1"), (n2, "n3"), (n3, "n1"), (n3, "n2")]
            self.assertTrue(wait_for(lambda: all(ups(b, peer) >= 1 for b, peer in pairs), timeout=10),
                            n1.output() + n2.output() + n3.output())

    def test_a_wrong_cookie_is_refused_and_nothing_links(self):
        p1, p2 = free_port(), free_port()
        with Broker(cluster("n1", p1)) as n1, Broker(cluster("n2", p2, seeds=[p1], cookie="wrong")) as n2:
            self.assertTrue(wait_for(lambda: "handshake refused here (not allowed" in n1.output()), n1.output())
            self.assertEqual(ups(n1, "n2"), 0)
            self.assertEqual(ups(n2, "n1"), 0)
            self.assertNotIn("monster-cookie", n1.output() + n2.output())  # never logged
            self.assertNotIn("wrong", n1.output())
            self.assertTrue(n1.alive() and n2.alive())

    def test_a_killed_node_is_down_and_links_again_when_it_restarts(self):
        p1, p2 = free_port(), free_port()
        data = tempfile.mkdtemp(prefix="actormq-test-data-")
        self.addCleanup(shutil.rmtree, data, True)
        # One data directory for both runs of n2: each takes the next creation.
        n2_config = dict(cluster("n2", p2), data_dir=data)
        with Broker(cluster("n1", p1, seeds=[p2])) as n1:
            n2 = Broker(n2_config)
            try:
                self.assertTrue(wait_for(lambda: ups(n1, "n2") == 1), n1.output())
                first = re.search(r"node link to n2 .*incarnation (\d+)", n1.output()).group(1)
                n2.stop(sig=signal.SIGKILL)
                self.assertTrue(wait_for(lambda: re.search(r"node link to n2 .*: down \(", n1.output())),
                                n1.output())
                n2 = Broker(n2_config)
                # n1 dials its seed again on its own.
                self.assertTrue(wait_for(lambda: ups(n1, "n2") == 2, timeout=15), n1.output())
                again = re.findall(r"node link to n2 .*incarnation (\d+)", n1.output())[-1]
                self.assertNotEqual(first, again)
                # The low byte is the creation in n2's pids: one more at each start.
                self.assertEqual((int(first) & 0xFF, int(again) & 0xFF), (1, 2))
            finally:
                n2.stop()

    def test_nodes_link_over_mutual_tls_and_a_foreign_certificate_is_refused(self):
        pki = Pki()
        tls = {"certfile": pki.path("server.crt"), "keyfile": pki.path("server.key"), "cafile": pki.path("ca.crt")}
        foreign = {"certfile": pki.path("foreign.crt"), "keyfile": pki.path("foreign.key"),
                   "cafile": pki.path("ca.crt")}
        p1, p2, p3 = free_port(), free_port(), free_port()
        with Broker(cluster("n1", p1, tls=tls)) as n1, Broker(cluster("n2", p2, seeds=[p1], tls=tls)) as n2:
            self.assertTrue(wait_for(lambda: ups(n1, "n2") == 1 and ups(n2, "n1") == 1), n1.output() + n2.output())
            self.assertIn("accepts node links over TLS", n1.output())
            with Broker(cluster("n3", p3, seeds=[p1], tls=foreign)) as n3:
                self.assertTrue(wait_for(lambda: "client certificate not accepted" in n1.output()),
                                n1.output() + n3.output())
                self.assertEqual(ups(n1, "n3"), 0)
                self.assertEqual(ups(n3, "n1"), 0)

    def test_unreadable_tls_files_refuse_the_start(self):
        p1 = free_port()
        conf = cluster("n1", p1, tls={"certfile": "missing.crt", "keyfile": "missing.key", "cafile": "ca.crt"})
        with self.assertRaises(RuntimeError) as e:
            Broker(conf)
        self.assertIn("cluster.tls: ", str(e.exception))

def tearDownModule():
    cleanup()


if __name__ == "__main__":
    main()
