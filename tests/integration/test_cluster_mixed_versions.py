"""A cluster whose nodes run different versions, as during a rolling upgrade
(issue: upgrade without downtime): two nodes of this build and one of an
earlier build (ACTORMQ_OLD_BIN, an actormq binary from before node
evacuation; skipped without it). The node link agrees on a protocol version,
layouts are versioned per type and a type a node does not know is refused
alone (bridge/dist/registry.hpp), so routes, publishes and cross-node
takeovers work across versions, and an evacuation moves sessions only to
the node that knows how to take them."""

import json
import os
import unittest

import test_cluster_routes as routes
from harness import Broker, free_port, main, wait_for
from http_util import OPS, ApiBroker
from paho_util import V5Client, mqtt, session_expiry

OLD = os.environ.get("ACTORMQ_OLD_BIN")


@unittest.skipUnless(OLD and os.access(OLD, os.X_OK), "ACTORMQ_OLD_BIN names no earlier actormq binary")
class MixedVersions(unittest.TestCase):
    def test_an_older_node_serves_beside_newer_ones_and_is_passed_over_by_an_evacuation(self):
        p1, p2, p3 = free_port(), free_port(), free_port()
        top = routes.cluster("n1", p1)
        top["log_level"] = "info"
        api = ApiBroker(top=top)
        self.addCleanup(api.stop)
        n1 = api.broker
        n2 = Broker(dict(routes.cluster("n2", p2, seeds=[p1]), log_level="info"))
        self.addCleanup(n2.stop)
        old = Broker(dict(routes.cluster("n3", p3, seeds=[p1]), log_level="info"), binary=OLD)
        self.addCleanup(old.stop)
        nodes = (n1, n2, old)
        names = ("n1", "n2", "n3")
        logs = lambda: "\n".join("== %s\n%s" % (n, b.output()[-2500:]) for n, b in zip(names, nodes))
        self.assertTrue(wait_for(lambda: all(routes.ups(b, peer) >= 1 for b, me in zip(nodes, names)
                                             for peer in names if peer != me), timeout=15), logs())

        def client(b, cid, **kw):
            c = V5Client(b.port, cid=cid, **kw)
            self.addCleanup(c.close)
            return c

        # Publishes cross both ways between the versions.
        on_old, on_new = client(old, "mx-old"), client(n1, "mx-new")
        on_old.subscribe("mx/to-old", qos=1)
        on_new.subscribe("mx/to-new", qos=1)
        self.assertTrue(routes.routes_ready(on_new, [on_old], ["mx/to-old"]), logs())
        self.assertTrue(routes.routes_ready(on_old, [on_new], ["mx/to-new"]), logs())
        on_new.publish("mx/to-old", b"from new", qos=1)
        on_old.publish("mx/to-new", b"from old", qos=1)
        self.assertEqual([m.payload for m in on_old.wait_msgs(1)], [b"from new"])
        self.assertEqual([m.payload for m in on_new.wait_msgs(1)], [b"from old"])

        # A session moves from the old node to a new one and back.
        mover = client(old, "mx-mover", clean_start=False, connect_props=session_expiry(300))
        mover.subscribe("mx/move", qos=1)
        mover.disconnect()
        moved = client(n2, "mx-mover", clean_start=False, connect_props=session_expiry(300))
        self.assertTrue(moved.session_present, logs())
        moved.disconnect()
        back = client(old, "mx-mover", clean_start=False, connect_props=session_expiry(300))
        self.assertTrue(back.session_present, logs())
        back.disconnect()

        # An evacuation of n1 moves its offline sessions to n2 only.
        for i in range(4):
            c = client(n1, "mx-off-%d" % i, clean_start=False, connect_props=session_expiry(300))
            c.subscribe("mx/off/%d" % i, qos=1)
            c.disconnect()
        status, _, body = api.request("POST", "/api/v1/evacuate", OPS, json.dumps({"wait_takeover_s": 0}))
        self.assertEqual(status, 202, body)
        self.assertTrue(wait_for(lambda: api.get_json("/api/v1/evacuate")["phase"] == "done", timeout=30),
                        "%s\n%s" % (api.get_json("/api/v1/evacuate"), logs()))
        self.assertEqual(n2.output().count("session moved here from node"), 4, logs())
        for i in range(4):
            again = client(old, "mx-off-%d" % i, clean_start=False, connect_props=session_expiry(300))
            self.assertTrue(again.session_present, logs())
        refused = [l for l in old.output().splitlines() if "0x0206" in l]
        print("mixed versions: routes, publishes and takeovers across versions; 4 sessions evacuated to the "
              "newer peer; the older node refused %d adoption request(s)%s"
              % (len(refused), (": " + refused[0]) if refused else ""))


if __name__ == "__main__":
    main()
