"""A rolling upgrade of a three-node cluster under load (issue: upgrade
without downtime, node evacuation): each node in turn is evacuated
(POST /api/v1/evacuate), stopped once it reports "done", and started again
on the same ports and store, while a QoS 1 stream runs and its subscribers
(MQTT 5 following the Server Reference, 3.1.1 reconnecting to another node,
and a session that stays offline throughout and moves from node to node)
follow. Every acknowledged message reaches every subscriber."""

import json
import shutil
import tempfile
import threading
import time
import unittest

import test_cluster_routes as routes
from harness import free_port, main, wait_for
from http_util import OPS, ApiBroker
from paho_util import V5Client, mqtt, session_expiry


class Node:
    """One node of the cluster, restartable on the same ports and store."""

    def __init__(self, name, cluster_ports, index):
        self.name = name
        self.port, self.http_port = free_port(), free_port()
        self.data = tempfile.mkdtemp(prefix="actormq-rolling-")
        seeds = [p for i, p in enumerate(cluster_ports) if i != index]
        self.top = routes.cluster(name, cluster_ports[index], seeds=seeds)
        # Room for everything the offline session is sent during the run.
        self.top.update({"data_dir": self.data, "log_level": "info", "max_queued_messages": 100000})
        self.api = None
        self.logs = ""

    def start(self):
        # Started again on its ports, a port may meanwhile be another test's
        # client's source port (ctest runs tests side by side): the HTTP and
        # MQTT ports, which no peer knows, then move; the node link's stays.
        for attempt in range(3):
            try:
                self.api = ApiBroker(top=self.top, port=self.port, http_port=self.http_port)
                return
            except RuntimeError as e:
                if attempt == 2 or "Address already in use" not in str(e):
                    raise
                if ":%d: bind" % self.http_port in str(e):
                    self.http_port = free_port()
                elif ":%d: bind" % self.port in str(e):
                    self.port = free_port()
                else:
                    raise

    def stop(self):
        if self.api is not None:
            self.api.stop()
            self.logs += self.api.broker.output()
            self.api = None

    def output(self):
        return self.logs + (self.api.broker.output() if self.api else "")


class Publisher(threading.Thread):
    """QoS 1 messages 0, 1, ... on `topic`; a message counts once it is
    acknowledged; a lost connection is made again to target(), and the
    message that was not acknowledged is sent again."""

    def __init__(self, topic, target):
        super().__init__()
        self.topic, self.target = topic, target
        self.acked = []
        self.reconnects = 0
        self.stopped = threading.Event()

    def run(self):
        i, c = 0, None
        while not self.stopped.is_set() and i < 20000:
            try:
                if c is None or c.disconnects:
                    if c is not None:
                        c.close()
                        self.reconnects += 1
                    c = None
                    c = V5Client(self.target().port, cid="roll-pub", timeout=2)
                c.publish(self.topic, str(i).encode(), qos=1, timeout=2)
                self.acked.append(i)
                i += 1
                time.sleep(0.005)
            except Exception:
                if c is not None:
                    c.close()
                c = None
                time.sleep(0.1)
        if c is not None:
            c.close()


class Subscriber:
    """A persistent subscriber that follows its node's evacuation."""

    def __init__(self, test, cid, version, node):
        self.test, self.cid, self.version = test, cid, version
        self.clients = []
        self.moves = 0
        self.connect(node.port)
        self.clients[-1].subscribe("roll/t", qos=1)

    def connect(self, port):
        c = V5Client(port, cid=self.cid, clean_start=False, version=self.version,
                     connect_props=session_expiry(600) if self.version == mqtt.MQTTv5 else None)
        self.test.addCleanup(c.close)
        if self.clients:
            self.test.assertTrue(c.session_present, "%s lost its session" % self.cid)
            self.moves += 1
        self.clients.append(c)

    def follow(self, nodes, evacuated):
        """Connects again if its connection ended: where the Server
        Reference says (MQTT 5), else to the next node."""
        current = self.clients[-1]
        if not current.disconnects:
            return
        rc, props = current.disconnects[0]
        reference = getattr(props, "ServerReference", None) if props is not None else None
        if reference:
            port = int(reference.rsplit(":", 1)[1])
        else:
            others = [n for n in nodes if n is not evacuated and n.api is not None]
            port = others[0].port
        self.connect(port)

    def numbers(self):
        got = []
        for c in self.clients:
            with c.cond:
                got += [int(m.payload) for m in c.msgs if m.payload != b"probe"]
        return got


class RollingUpgrade(unittest.TestCase):
    def test_rolling_upgrade_with_evacuation_loses_nothing(self):
        cluster_ports = [free_port() for _ in range(3)]
        nodes = [Node("n%d" % (i + 1), cluster_ports, i) for i in range(3)]
        for n in nodes:
            self.addCleanup(shutil.rmtree, n.data, True)
            self.addCleanup(n.stop)
            n.start()
        logs = lambda: "\n".join("== %s\n%s" % (n.name, "\n".join(l for l in n.output().splitlines() if "roll-sleeper" in l or "evacuation" in l)) for n in nodes)

        def linked():
            return all(routes.ups(n.api.broker, m.name) >= 1 for n in nodes for m in nodes if m is not n)

        self.assertTrue(wait_for(linked, timeout=15), logs())
        n1, n2, n3 = nodes
        subs = [Subscriber(self, "roll-v5-a", mqtt.MQTTv5, n1), Subscriber(self, "roll-v3-a", mqtt.MQTTv311, n1),
                Subscriber(self, "roll-v5-b", mqtt.MQTTv5, n2), Subscriber(self, "roll-v3-b", mqtt.MQTTv311, n3)]
        sleeper = Subscriber(self, "roll-sleeper", mqtt.MQTTv5, n1)
        probe = V5Client(n3.port, cid="roll-probe")
        self.addCleanup(probe.close)
        self.assertTrue(routes.routes_ready(probe, [s.clients[-1] for s in subs + [sleeper]], ["roll/t"]), logs())
        probe.close()
        sleeper.clients[-1].disconnect()
        time.sleep(0.3)

        evacuating = [None]
        target = lambda: next(n for n in nodes if n is not evacuating[0] and n.api is not None)
        publisher = Publisher("roll/t", target)
        publisher.start()
        self.addCleanup(publisher.stopped.set)
        self.assertTrue(wait_for(lambda: len(publisher.acked) >= 50, timeout=10))

        for i, node in enumerate(nodes):
            following = nodes[(i + 1) % 3]
            evacuating[0] = node
            order = {"redirect_to": "127.0.0.1:%d" % following.port, "connection_rate": 100,
                     "session_rate": 100, "wait_takeover_s": 1}
            status, _, body = node.api.request("POST", "/api/v1/evacuate", OPS, json.dumps(order))
            self.assertEqual(status, 202, body)
            end = time.time() + 40
            while time.time() < end:
                for s in subs:
                    s.follow(nodes, node)
                if node.api.get_json("/api/v1/evacuate")["phase"] == "done":
                    break
                time.sleep(0.1)
            state = node.api.get_json("/api/v1/evacuate")
            self.assertEqual(state["phase"], "done", "%s: %s\n%s" % (node.name, state, logs()))
            self.assertEqual(state["sessions_left"], 0)
            # Upgraded: stopped, started again on its ports and store, linked again.
            node.stop()
            node.start()
            self.assertIn("restored 0 sessions", node.api.broker.output())
            self.assertTrue(wait_for(linked, timeout=15), logs())
            evacuating[0] = None
            time.sleep(0.5)
            print("rolling upgrade: %s evacuated, restarted and back; %d messages acknowledged so far"
                  % (node.name, len(publisher.acked)))

        publisher.stopped.set()
        publisher.join(30)
        self.assertFalse(publisher.is_alive())
        acked = publisher.acked
        back = V5Client(n2.port, cid="roll-sleeper", clean_start=False, connect_props=session_expiry(600))
        self.addCleanup(back.close)
        self.assertTrue(back.session_present, logs())
        sleeper.clients.append(back)
        for s in subs + [sleeper]:
            wait_for(lambda: set(s.numbers()) >= set(acked), timeout=30)
            got = s.numbers()
            missing = sorted(set(acked) - set(got))
            self.assertEqual(missing, [], "%s lost %d of %d: %s\n%s" % (s.cid, len(missing), len(acked), missing[:20],
                                                                       logs()))
        print("rolling upgrade: %d messages acknowledged, every one delivered to %d subscribers; the publisher "
              "reconnected %d times; subscribers moved %s times"
              % (len(acked), len(subs) + 1, publisher.reconnects, [s.moves for s in subs]))


if __name__ == "__main__":
    main()
