"""An MQTT bridge on a cluster node (bridge/mqtt beside bridge/cluster): a
retained message the bridge brings in is stamped with its arrival time, as
a client's retained publish is, so that the cluster's replication (the
newer of two retained messages wins, by that time) takes it on every node
over an older one published elsewhere."""

import time
import unittest

import test_cluster_routes as routes
from bridge_util import Mosquitto, bridge, client, state_is, topic
from harness import Broker, free_port, main, wait_for


def retained(port, filter_):
    """The retained payloads a new subscription to `filter_` gets."""
    c = client(port)
    try:
        c.subscribe(filter_, qos=1)
        return sorted(m.payload.decode() for m in c.quiet(0.3) if m.retain)
    finally:
        c.close()


class BridgeOnClusterNode(unittest.TestCase):
    def test_a_retained_message_brought_in_by_a_bridge_is_the_newest_on_every_node(self):
        remote = Mosquitto()
        self.addCleanup(remote.close)
        p1, p2 = free_port(), free_port()
        c1 = routes.cluster("n1", p1)
        c1["bridges"] = [bridge("b1", remote.port, [topic("x/#", "in", 1)])]
        n1 = Broker(c1)
        self.addCleanup(n1.stop)
        n2 = Broker(routes.cluster("n2", p2, seeds=[p1]))
        self.addCleanup(n2.stop)
        self.assertTrue(wait_for(lambda: routes.ups(n1, "n2") >= 1 and routes.ups(n2, "n1") >= 1, 10),
                        n1.output() + n2.output())
        self.assertTrue(state_is(n1.port, "b1", "1"), n1.output())

        local = client(n2.port, cid="p")
        self.addCleanup(local.close)
        local.publish("x/t", b"old", qos=1, retain=True)
        self.assertTrue(wait_for(lambda: retained(n1.port, "x/t") == ["old"], 10), n1.output())
        time.sleep(0.05)  # the bridged one arrives later by the clock too

        far = client(remote.port, cid="far")
        self.addCleanup(far.close)
        far.publish("x/t", b"new", qos=1, retain=True)
        self.assertTrue(wait_for(lambda: retained(n1.port, "x/t") == ["new"], 10), n1.output())
        self.assertTrue(wait_for(lambda: retained(n2.port, "x/t") == ["new"], 5),
                        "n2 keeps %r" % retained(n2.port, "x/t"))


if __name__ == "__main__":
    main()
