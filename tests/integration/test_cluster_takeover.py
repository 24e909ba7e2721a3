"""One client id, one session, cluster-wide (bridge/cluster, DESIGN.md "The
cluster broker"): a CONNECT on one node takes over the session its client id
has on another, connected (MQTT 5: DISCONNECT 0x8E; 3.1.1: closed) or offline,
with its subscriptions, queue and in-flight messages, losing nothing also
while messages stream; after a partition, the later connection keeps the id."""

import re
import shutil
import signal
import tempfile
import threading
import time
import unittest

import test_cluster_routes as routes
from harness import (Broker, RawClient, RawV5, connect_packet, free_port, main, parse_packets, session_expiry_prop,
                     wait_for)
from paho_util import V5Client, mqtt, session_expiry

SESSION_TAKEN_OVER = 0x8E


class ClusterTakeover(unittest.TestCase):
    def start_cluster(self, data_dirs=("none", "none", "none"), envs=(None, None, None)):
        p1, p2, p3 = free_port(), free_port(), free_port()
        self.ports = (p1, p2, p3)
        nodes = []
        for (name, port, seeds), data_dir, env in zip((("n1", p1, []), ("n2", p2, [p1]), ("n3", p3, [p1])),
                                                      data_dirs, envs):
            config = routes.cluster(name, port, seeds=seeds)
            config["data_dir"] = data_dir
            config["log_level"] = "info"
            b = Broker(config, env=env)
            self.addCleanup(b.stop)
            nodes.append(b)
        n1, n2, n3 = nodes
        pairs = [(n1, "n2"), (n1, "n3"), (n2, "n1"), (n2, "n3"), (n3, "n1"), (n3, "n2")]
        self.assertTrue(wait_for(lambda: all(routes.ups(b, peer) >= 1 for b, peer in pairs), timeout=10),
                        n1.output() + n2.output() + n3.output())
        return n1, n2, n3

    def client(self, broker, cid, clean_start=True, expiry=None, version=mqtt.MQTTv5):
        c = V5Client(broker.port, cid=cid, clean_start=clean_start, version=version,
                     connect_props=session_expiry(expiry) if expiry is not None else None)
        self.addCleanup(c.close)
        return c

    def raw_subscriber(self, broker, cid, topic, publisher):
        """An MQTT 5 session (expiry 300 s) on a raw socket, subscribed to
        `topic`, once `publisher`'s node routes to it. paho 1.6 drops the
        reason code of a DISCONNECT without properties, hence the raw socket;
        a paho witness on the same node and filter tells when the route is there."""
        a = RawV5(broker.port, cid.encode(), connect_props=session_expiry_prop(300), clean=False)
        self.addCleanup(a.close)
        a.subscribe(topic.encode(), 1)
        witness = self.client(broker, cid + "-witness")
        witness.subscribe(topic, qos=1)
        self.assertTrue(routes.routes_ready(publisher, [witness], [topic]))
        witness.close()
        time.sleep(0.5)  # the client id's row reaches every node meanwhile
        a.recv_until_quiet(0.5)  # the probes
        return a

    def assert_taken_over(self, raw, timeout=5):
        """The raw connection's last packet is DISCONNECT 0x8E, then it closes."""
        data, closed = raw.recv_all(timeout)
        self.assertTrue(closed, data)
        packets = parse_packets(data)
        self.assertTrue(packets, data)
        first, body = packets[-1]
        self.assertEqual((first, body[:1]), (0xE0, bytes([SESSION_TAKEN_OVER])), data)

    def test_connect_on_another_node_takes_the_session_over(self):
        n1, n2, n3 = self.start_cluster()
        p = self.client(n3, "p")
        a = self.raw_subscriber(n1, "mover", "mv/t", p)
        b = self.client(n2, "mover", clean_start=False, expiry=300)
        self.assertTrue(b.session_present, n2.output())
        self.assert_taken_over(a)
        self.assertIn("taken over by", n1.output())
        # The subscription moved: n3's publishes reach b, on n2, once.
        self.assertTrue(routes.routes_ready(p, [b], ["mv/t"]))
        time.sleep(0.5)
        p.publish("mv/t", b"after", qos=1)
        self.assertEqual([m.payload for m in b.wait_msgs(1)], [b"after"])
        self.assertEqual([m.payload for m in b.quiet(1.0)], [b"after"])
        # n1 keeps no route for the session: a publish there reaches b once too.
        p1 = self.client(n1, "p1")
        p1.publish("mv/t", b"from n1", qos=1)
        self.assertEqual([m.payload for m in b.wait_msgs(2)], [b"after", b"from n1"])
        self.assertEqual(len(b.quiet(1.0)), 2)

    def test_a_311_connection_taken_over_from_another_node_is_closed(self):
        n1, n2, n3 = self.start_cluster()
        a = self.client(n1, "old311", clean_start=False, version=mqtt.MQTTv311)
        a.subscribe("o/t", qos=1)
        p = self.client(n3, "p")
        self.assertTrue(routes.routes_ready(p, [a], ["o/t"]))
        time.sleep(0.5)  # the client id's row reaches every node
        b = self.client(n2, "old311", clean_start=False, version=mqtt.MQTTv311)
        self.assertTrue(b.session_present, n2.output())
        self.assertTrue(wait_for(lambda: a.disconnects, timeout=5))
        self.assertTrue(routes.routes_ready(p, [b], ["o/t"]))

    def test_takeover_while_messages_stream_loses_nothing(self):
        self.stream_through_takeover(*self.start_cluster(), n=600)

    def test_a_slow_link_into_the_old_node_loses_nothing_at_the_release(self):
        # n1 reads what peers forward 300 ms late: what n3 routed to n1 just
        # before it routed to n2 reaches n1 after n2 released n1's session.
        # The old session keeps its routes until every peer's forwards are in.
        slow = {"ACTORMQ_TEST_FORWARD_DELAY_MS": "300"}
        n1, n2, n3 = self.start_cluster(envs=(slow, None, None))
        self.assertIn("what peers forward held 300 ms", n1.output())
        self.stream_through_takeover(n1, n2, n3, n=400)

    def test_a_second_connect_during_a_move_gets_all_of_it(self):
        # n2 holds each state it receives 400 ms: a second CONNECT on n2
        # comes while the first waits for n1's. The newest connection ends
        # with the whole session, including what n1 queued until released.
        held = {"ACTORMQ_TEST_HANDOVER_DELAY_MS": "400"}
        n1, n2, n3 = self.start_cluster(envs=(None, held, None))

        def connect_twice():
            first = RawClient(n2.port)
            self.addCleanup(first.close)
            first.send(connect_packet(b"streamer", version=5, clean=False, props=session_expiry_prop(300)))
            time.sleep(0.15)  # its takeover is under way, the state held on n2
            return self.client(n2, "streamer", clean_start=False, expiry=300)

        self.stream_through_takeover(n1, n2, n3, n=400, take=connect_twice)
        self.assertIn("taken over by", n1.output())

    def stream_through_takeover(self, n1, n2, n3, n, take=None):
        """A QoS 1 stream from n3 to a session on n1, taken over from n2 a
        third of the way (by `take`, which returns the client that ends up
        with the session): every acknowledged message arrives, at most twice."""
        a = self.client(n1, "streamer", clean_start=False, expiry=300)
        a.subscribe("st/x", qos=1)
        p = self.client(n3, "p")
        self.assertTrue(routes.routes_ready(p, [a], ["st/x"]))
        time.sleep(0.5)
        published = []

        def stream():
            for i in range(n):
                p.publish("st/x", str(i).encode(), qos=1)  # waits for each PUBACK
                published.append(i)

        t = threading.Thread(target=stream)
        t.start()
        self.assertTrue(wait_for(lambda: len(published) >= n // 3, timeout=20))
        b = take() if take is not None else self.client(n2, "streamer", clean_start=False, expiry=300)
        t.join(60)
        self.assertFalse(t.is_alive())
        self.assertTrue(b.session_present)
        self.assertTrue(wait_for(lambda: a.disconnects, timeout=5))

        def numbers():
            with a.cond:
                got = [int(m.payload) for m in a.msgs]
            with b.cond:
                got += [int(m.payload) for m in b.msgs]
            return got

        wait_for(lambda: set(numbers()) >= set(range(n)), timeout=20)
        got = numbers()
        missing = sorted(set(range(n)) - set(got))
        self.assertEqual(missing, [], "lost: %s\n%s\n%s" % (missing[:20], n1.output()[-3000:], n2.output()[-3000:]))
        dups = len(got) - len(set(got))
        print("takeover mid-stream: %d messages, %d on n1, %d on n2, %d duplicate(s) (QoS 1)"
              % (n, len(a.msgs), len(b.msgs), dups))
        # A duplicate is a message in flight or in the overlap; never more than once again.
        self.assertLessEqual(max(got.count(i) for i in set(got)), 2)

    def offline_on_n1(self, topic, queued, data_dirs=("data", "data"), envs=(None, None)):
        """A cluster whose n1 (its store in a directory of its own) holds the
        offline session "sleeper", subscribed to `topic`, with the QoS 1
        messages `queued` published from n3 and queued there."""
        n1_data = tempfile.mkdtemp(prefix="actormq-takeover-")
        self.addCleanup(shutil.rmtree, n1_data, True)
        n1, n2, n3 = self.start_cluster(data_dirs=(n1_data,) + tuple(data_dirs), envs=(None,) + tuple(envs))
        a = self.client(n1, "sleeper", clean_start=False, expiry=300)
        a.subscribe(topic, qos=1)
        p = self.client(n3, "p")
        self.assertTrue(routes.routes_ready(p, [a], [topic]))
        a.c.disconnect()
        self.assertTrue(wait_for(lambda: a.disconnects, timeout=5))
        time.sleep(0.3)
        for m in queued:
            p.publish(topic, m, qos=1)
        time.sleep(0.5)  # forwarded to n1 and queued there
        return n1_data, n1, n2, n3, p

    def test_an_offline_session_moves_with_its_queue(self):
        n1_data, n1, n2, n3, p = self.offline_on_n1("off/t", [b"queued %d" % i for i in range(5)])
        b = self.client(n2, "sleeper", clean_start=False, expiry=300)
        self.assertTrue(b.session_present, n1.output() + n2.output())
        got = [m.payload for m in b.wait_msgs(5)]
        self.assertEqual(got, [b"queued %d" % i for i in range(5)])
        # The session lives on n2 now: n1 stored none of it any more, n2 does.
        p.publish("off/t", b"live", qos=1)
        self.assertEqual([m.payload for m in b.wait_msgs(6)][-1], b"live")
        # n1's store let the session go with it: restarted, n1 has none.
        time.sleep(0.3)
        n1.stop()
        alone = Broker({"data_dir": n1_data})
        self.addCleanup(alone.stop)
        self.assertIn("restored 0 sessions", alone.output())

    def test_a_move_to_a_node_that_dies_leaves_the_session_where_it_was(self):
        # n2 holds each state it receives 3 s before it adopts it: killed
        # meanwhile, it takes the only copy with it unless n1 keeps one until
        # the release. n1 keeps its routes, so what is published meanwhile
        # queues there too; its store gets the whole session back.
        held = {"ACTORMQ_TEST_HANDOVER_DELAY_MS": "3000"}
        expected = [b"before %d" % i for i in range(5)] + [b"during %d" % i for i in range(5)]
        n1_data, n1, n2, n3, p = self.offline_on_n1("lost/t", expected[:5], data_dirs=("none", "none"),
                                                    envs=(held, None))
        mover = RawClient(n2.port)
        self.addCleanup(mover.close)
        mover.send(connect_packet(b"sleeper", version=5, clean=False, props=session_expiry_prop(300)))
        self.assertTrue(wait_for(lambda: "taken over by" in n1.output(), timeout=5), n1.output())
        for m in expected[5:]:
            p.publish("lost/t", m, qos=1)  # routed to n1 still: n2 has not adopted
        time.sleep(0.3)
        n2.stop(sig=signal.SIGKILL)
        self.assertTrue(wait_for(lambda: "stays here" in n1.output(), timeout=10), n1.output()[-3000:])
        # n1's store holds all of it again: killed and started alone, n1 has it.
        time.sleep(0.5)
        n1.stop(sig=signal.SIGKILL)
        alone = Broker({"data_dir": n1_data})
        self.addCleanup(alone.stop)
        self.assertIn("restored 1 sessions", alone.output())
        b = self.client(alone, "sleeper", clean_start=False, expiry=300)
        self.assertTrue(b.session_present, alone.output())
        self.assertEqual([m.payload for m in b.wait_msgs(10)], expected, alone.output())
        self.assertEqual(len(b.quiet(0.5)), 10)

    def test_a_clean_start_on_another_node_ends_the_old_session(self):
        n1, n2, n3 = self.start_cluster()
        p = self.client(n3, "p")
        a = self.raw_subscriber(n1, "fresh", "cl/t", p)
        b = self.client(n2, "fresh", clean_start=True, expiry=300)
        self.assertFalse(b.session_present)
        self.assert_taken_over(a)
        time.sleep(1.0)  # n1's routes go with its session
        p.publish("cl/t", b"nobody", qos=1)
        self.assertEqual(b.quiet(0.5), [])

    def test_after_a_partition_the_later_connection_keeps_the_client_id(self):
        n1, n2, n3 = self.start_cluster()
        p = self.client(n3, "p")
        early = self.raw_subscriber(n2, "split", "sp/t", p)
        # n2 is cut off (stopped) until the others declare it down.
        n2.proc.send_signal(signal.SIGSTOP)
        self.addCleanup(n2.proc.send_signal, signal.SIGCONT)
        self.assertTrue(wait_for(lambda: re.search(r"node link to n2 .*: down \(", n1.output()), timeout=10))
        late = self.client(n1, "split", clean_start=False, expiry=300)
        self.assertFalse(late.session_present)  # n2's session was out of reach
        late.subscribe("sp/t", qos=1)
        n2.proc.send_signal(signal.SIGCONT)
        # Healed: n2's earlier connection ends, n1's later one stays.
        self.assert_taken_over(early, timeout=15)
        self.assertIn("ending its session here", n2.output())
        self.assertEqual(late.disconnects, [])
        self.assertTrue(routes.routes_ready(p, [late], ["sp/t"]))


if __name__ == "__main__":
    main()
