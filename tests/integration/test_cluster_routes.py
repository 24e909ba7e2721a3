"""The cluster broker's routes between real actormq nodes (bridge/cluster):
three nodes joined through one seed; a publish on any node reaches the
subscribers of every node, once each, at their QoS and with their v5
options; a killed node neither stops the others nor keeps its routes, and
its subscribers are served again once it is back; retained messages are
seen from every node, a late joiner's included."""

import re
import signal
import subprocess
import time
import unittest

from harness import Broker, free_port, main, wait_for
from paho_util import PacketTypes, SubscribeOptions, V5Client, props, sub_id, mqtt


def cluster(name, port, seeds=(), down_after_ms=1000):
    return {"data_dir": "none", "sys_interval": 1,
            "cluster": {"node_name": name, "bind": "127.0.0.1", "port": port, "cookie": "routes-cookie",
                        "seeds": ["127.0.0.1:%d" % p for p in seeds], "heartbeat_ms": 100,
                        "node_down_after_ms": down_after_ms}}


def ups(broker, peer):
    return len(re.findall(r"node link to %s .*: up \(" % re.escape(peer), broker.output()))


def routes_ready(publisher, subscribers, topics, timeout=10):
    """Publishes probes to each of `topics` from `publisher` until every one
    of `subscribers` got one (their routes have reached the publisher's
    node), then lets the probes in flight land and forgets them."""
    end = time.time() + timeout
    ready = False
    while time.time() < end and not ready:
        for t in topics:
            publisher.publish(t, b"probe", qos=0)
        time.sleep(0.1)
        ready = all(c.quiet(0) for c in subscribers)
    time.sleep(0.3)
    for c in subscribers:
        with c.cond:
            c.msgs.clear()
    return ready


class ClusterRoutes(unittest.TestCase):
    def start_cluster(self, down_after_ms=1000):
        p1, p2, p3 = free_port(), free_port(), free_port()
        self.ports = (p1, p2, p3)
        n1 = Broker(cluster("n1", p1, down_after_ms=down_after_ms))
        self.addCleanup(n1.stop)
        n2 = Broker(cluster("n2", p2, seeds=[p1], down_after_ms=down_after_ms))
        self.addCleanup(n2.stop)
        n3 = Broker(cluster("n3", p3, seeds=[p1], down_after_ms=down_after_ms))
        self.addCleanup(n3.stop)
        pairs = [(n1, "n2"), (n1, "n3"), (n2, "n1"), (n2, "n3"), (n3, "n1"), (n3, "n2")]
        self.assertTrue(wait_for(lambda: all(ups(b, peer) >= 1 for b, peer in pairs), timeout=10),
                        n1.output() + n2.output() + n3.output())
        return n1, n2, n3

    def client(self, broker, cid, version=mqtt.MQTTv5):
        c = V5Client(broker.port, cid=cid, version=version)
        self.addCleanup(c.close)
        return c

    def test_a_publish_reaches_every_node_once_per_subscriber_at_its_qos_in_order(self):
        n1, n2, n3 = self.start_cluster()
        s2 = self.client(n2, "s2")
        s2.subscribe("t/#", qos=2)
        s3 = self.client(n3, "s3")
        s3.subscribe("t/+", qos=1)
        s3.subscribe("t/x", qos=0)  # overlaps t/+: still one copy, at the higher QoS
        local = self.client(n1, "local")
        local.subscribe("t/x", qos=2)
        p = self.client(n1, "p")
        self.assertTrue(routes_ready(p, [s2, s3], ["t/probe"]))
        n = 200
        for i in range(n):
            p.publish("t/x", str(i).encode(), qos=2)
        for c, qos in ((s2, 2), (s3, 1), (local, 2)):
            got = c.wait_msgs(n, timeout=10)
            time.sleep(0.3)
            got = c.quiet(0)
            self.assertEqual([m.payload.decode() for m in got], [str(i) for i in range(n)], c.c._client_id)
            self.assertEqual({m.qos for m in got}, {qos})

    def test_v5_options_apply_on_the_subscribers_node(self):
        n1, n2, n3 = self.start_cluster()
        ids = self.client(n2, "ids")
        ids.subscribe("opt/#", qos=1, properties=sub_id(42))
        rap = self.client(n2, "rap")
        rap.subscribe("opt/r", options=SubscribeOptions(qos=1, retainAsPublished=True))
        plain = self.client(n3, "plain")
        plain.subscribe("opt/r", qos=1)
        self_only = self.client(n3, "self")
        self_only.subscribe("opt/n", options=SubscribeOptions(qos=1, noLocal=True))
        p = self.client(n1, "p")
        self.assertTrue(routes_ready(p, [ids, rap, plain, self_only], ["opt/r", "opt/n"]))
        p.publish("opt/r", b"kept", qos=1, retain=True)
        self.assertEqual(rap.wait_msgs(1)[0].retain, True)
        self.assertEqual(plain.wait_msgs(1)[0].retain, False)
        got = ids.wait_msgs(1)[0]
        self.assertEqual(got.properties.SubscriptionIdentifier, [42])
        # No Local: its own messages stay away, the other nodes' arrive.
        self_only.publish("opt/n", b"mine", qos=1)
        p.publish("opt/n", b"theirs", qos=1, properties=props(PacketTypes.PUBLISH, UserProperty=[("k", "v")]))
        got = self_only.wait_msgs(1)
        time.sleep(0.3)
        got = self_only.quiet(0)
        self.assertEqual([m.payload for m in got], [b"theirs"])
        self.assertEqual(got[0].properties.UserProperty, [("k", "v")])

    def test_a_killed_node_stops_no_one_and_is_served_again_once_back(self):
        n1, n2, n3 = self.start_cluster()
        s3 = self.client(n3, "s3")
        s3.subscribe("k/#", qos=1)
        s2 = V5Client(n2.port, cid="s2")
        s2.subscribe("k/#", qos=1)
        p = self.client(n1, "p")
        self.assertTrue(routes_ready(p, [s2, s3], ["k/probe"]))
        n = 300
        for i in range(n):
            if i == 100:
                n2.stop(sig=signal.SIGKILL)
                s2.close()
            p.publish("k/x", str(i).encode(), qos=1)  # waits for each PUBACK: never held up by n2
        got = s3.wait_msgs(n, timeout=10)
        self.assertEqual([m.payload.decode() for m in got], [str(i) for i in range(n)])
        self.assertTrue(wait_for(lambda: re.search(r"node link to n2 .*: down \(", n1.output()), timeout=5))

        n2 = Broker(cluster("n2", self.ports[1], seeds=[self.ports[0]]))
        self.addCleanup(n2.stop)
        back = self.client(n2, "s2-again")
        back.subscribe("k/#", qos=1)
        self.assertTrue(routes_ready(p, [back], ["k/probe"]))
        p.publish("k/x", b"again", qos=1)
        self.assertEqual([m.payload for m in back.wait_msgs(1)], [b"again"])


    def test_a_hung_node_holds_up_no_publisher_and_no_other_node(self):
        # n2 stops (SIGSTOP) but its links stay open, and it is declared down
        # only after a minute: what n1 routes to it piles up until its link is
        # busy. The routers of n1 must go on serving the others meanwhile.
        n1, n2, n3 = self.start_cluster(down_after_ms=60000)
        s2 = self.client(n2, "s2")
        s2.subscribe("h/#", qos=1)
        s3 = self.client(n3, "s3")
        s3.subscribe("h/#", qos=1)
        p = self.client(n1, "p")
        self.assertTrue(routes_ready(p, [s2, s3], ["h/probe"]))
        n2.proc.send_signal(signal.SIGSTOP)
        self.addCleanup(n2.proc.send_signal, signal.SIGCONT)
        total = 30000
        payload = "x" * 1000
        lines = "".join("%d %s\n" % (i, payload) for i in range(total))
        r = subprocess.run(["mosquitto_pub", "-p", str(n1.port), "-q", "1", "-t", "h/x", "-l"],
                           input=lines, text=True, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = s3.wait_msgs(total, timeout=30)
        self.assertEqual(len(got), total)
        self.assertEqual([int(m.payload.split(b" ")[0]) for m in got], list(range(total)))

    def test_a_will_reaches_subscribers_on_other_nodes_also_when_delayed(self):
        n1, n2, n3 = self.start_cluster()
        s3 = self.client(n3, "s3")
        s3.subscribe("will/#", qos=1)
        p = self.client(n1, "p")
        self.assertTrue(routes_ready(p, [s3], ["will/probe"]))
        for cid, delay in (("w0", 0), ("w1", 1)):
            w = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv5)
            will_props = props(PacketTypes.WILLMESSAGE, WillDelayInterval=delay)
            w.will_set("will/" + cid, b"gone " + cid.encode(), qos=1, properties=will_props)
            w.connect("127.0.0.1", n1.port, clean_start=True,
                      properties=props(PacketTypes.CONNECT, SessionExpiryInterval=60))
            w.loop_start()
            time.sleep(0.3)
            w.loop_stop()
            w.socket().close()  # gone without DISCONNECT: the will is due
        got = s3.wait_msgs(2, timeout=10)
        self.assertEqual(sorted(m.payload for m in got), [b"gone w0", b"gone w1"])

    def test_a_shared_group_spans_nodes_and_each_message_goes_to_one_member(self):
        n1, n2, n3 = self.start_cluster()
        members = [self.client(b, "m%d" % i) for i, b in enumerate((n1, n2, n3, n3))]
        for m in members:
            m.subscribe("$share/g/s/#", qos=1)
        elsewhere = self.client(n2, "only-n2")
        elsewhere.subscribe("$share/h/s/#", qos=1)  # a group whose members are all on n2
        p = self.client(n1, "p")
        # Routes ready: probes until the n2 group and every node's member got one.
        end = time.time() + 10
        while time.time() < end:
            p.publish("s/probe", b"probe", qos=0)
            time.sleep(0.05)
            if elsewhere.quiet(0) and all(m.quiet(0) for m in (members[1], members[2])):
                break
        time.sleep(0.3)
        for c in members + [elsewhere]:
            with c.cond:
                c.msgs.clear()
        n = 300
        for i in range(n):
            p.publish("s/x", str(i).encode(), qos=1)
        time.sleep(1.0)
        got = [[m.payload.decode() for m in c.quiet(0) if m.topic == "s/x"] for c in members]
        everyone = sorted(int(x) for g in got for x in g)
        self.assertEqual(everyone, list(range(n)))  # each message once in the group
        self.assertTrue(all(got[i] for i in range(3)), [len(g) for g in got])  # every node's members had some
        h = [m.payload.decode() for m in elsewhere.quiet(0) if m.topic == "s/x"]
        self.assertEqual(sorted(int(x) for x in h), list(range(n)))

    def retained_on(self, broker, filter_, want, timeout=10):
        """True once a new subscription to `filter_` on `broker` gets
        exactly the retained payloads `want` (a sorted list)."""
        end = time.time() + timeout
        seen = None
        while time.time() < end:
            c = V5Client(broker.port, cid="")
            c.subscribe(filter_, qos=1)
            got = c.quiet(0.3)
            c.close()
            seen = sorted(m.payload.decode() for m in got if m.retain)
            if seen == want:
                return True
        self.fail("retained on %s: %r, not %r" % (broker.port, seen, want))

    def test_retained_messages_are_seen_from_every_node_and_by_a_late_joiner(self):
        n1, n2, n3 = self.start_cluster()
        p1 = self.client(n1, "p1")
        p1.publish("r/1", b"one", qos=1, retain=True)
        p3 = self.client(n3, "p3")
        p3.publish("r/2", b"two", qos=1, retain=True)
        for b in (n1, n2, n3):
            self.retained_on(b, "r/#", ["one", "two"])
        p3.publish("r/1", b"", qos=1, retain=True)  # deleted from another node than its own
        p1.publish("r/2", b"two again", qos=1, retain=True)
        for b in (n1, n2, n3):
            self.retained_on(b, "r/#", ["two again"])
        # A node that joins later gets what the others hold.
        n4 = Broker(cluster("n4", free_port(), seeds=[self.ports[1]]))
        self.addCleanup(n4.stop)
        self.retained_on(n4, "r/#", ["two again"])


    def sys_values(self, broker, want, timeout=10):
        """True once $SYS/broker/cluster/# on `broker` has every (topic
        suffix, value) of `want` (values may be predicates)."""
        end = time.time() + timeout
        seen = {}
        while time.time() < end:
            c = V5Client(broker.port, cid="")
            c.subscribe("$SYS/broker/cluster/#", qos=0)
            for m in c.quiet(0.3):
                seen[m.topic[len("$SYS/broker/cluster/"):]] = m.payload.decode()
            c.close()
            if all(k in seen and (v(seen[k]) if callable(v) else seen[k] == v) for k, v in want.items()):
                return seen
            time.sleep(0.5)
        self.fail("$SYS/broker/cluster on %s: %r, wanted %r" % (broker.port, seen, want))

    def test_sys_topics_report_the_nodes_routes_and_what_crossed(self):
        n1, n2, n3 = self.start_cluster()
        s2 = self.client(n2, "s2")
        s2.subscribe("sys/a", qos=1)
        s2.subscribe("sys/b/#", qos=1)
        p = self.client(n1, "p")
        self.assertTrue(routes_ready(p, [s2], ["sys/a"]))
        for i in range(10):
            p.publish("sys/a", b"x", qos=1)
        s2.wait_msgs(10)
        self.sys_values(n1, {"node": "n1", "nodes": "3", "nodes/running": "n1,n2,n3",
                             "routes/remote": "2", "links/up": lambda v: int(v) >= 2})
        self.sys_values(n2, {"node": "n2", "routes/sent": lambda v: int(v) >= 2,
                             "messages/forwarded/received": lambda v: int(v) >= 10,
                             "bytes/received": lambda v: int(v) > 0})

    def test_a_node_with_a_store_queues_forwarded_publishes_for_an_offline_session(self):
        # The message comes from a node link, not from a client of the node
        # that stores it: its body is stored all the same (a null store
        # writer ended the node here before).
        p1, p2 = free_port(), free_port()
        c1 = cluster("n1", p1)
        c1["data_dir"] = "data"
        n1 = Broker(c1)
        self.addCleanup(n1.stop)
        n2 = Broker(cluster("n2", p2, seeds=[p1]))
        self.addCleanup(n2.stop)
        s = V5Client(n1.port, cid="away", clean_start=False,
                     connect_props=props(PacketTypes.CONNECT, SessionExpiryInterval=300))
        self.addCleanup(s.close)
        s.subscribe("away/t", qos=1)
        p = self.client(n2, "p")
        self.assertTrue(routes_ready(p, [s], ["away/t"]))
        s.c.disconnect()
        self.assertTrue(wait_for(lambda: s.disconnects, timeout=5))
        for i in range(3):
            p.publish("away/t", b"q%d" % i, qos=1)
        time.sleep(0.5)
        self.assertTrue(n1.alive(), n1.output())
        back = V5Client(n1.port, cid="away", clean_start=False,
                        connect_props=props(PacketTypes.CONNECT, SessionExpiryInterval=300))
        self.addCleanup(back.close)
        self.assertTrue(back.session_present)
        self.assertEqual([m.payload for m in back.wait_msgs(3)], [b"q0", b"q1", b"q2"])


if __name__ == "__main__":
    main()
