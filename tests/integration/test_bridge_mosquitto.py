"""MQTT bridges (bridge/mqtt) to Debian's mosquitto as the remote broker:
out, in and both with prefixes, QoS 0/1/2, retained flags, v5 properties,
notifications on both sides, a dead remote detected by the keep alive, and
the remote restarted while messages wait (the bridge reconnects and sends
them)."""

import signal
import time
import unittest

from bridge_util import (STATE, Mosquitto, bridge, client, messages, payloads, state_is, topic)
from harness import Broker, wait_for
from paho_util import PacketTypes, props


class BridgeTestCase(unittest.TestCase):
    """A mosquitto remote and an actormq with the class's bridge."""

    version = "mqttv311"
    extra = {}

    def topics(self):
        return [topic("o/#", "out", 2, remote_prefix="r/"),
                topic("capped/#", "out", 1),
                topic("i/#", "in", 2, local_prefix="L/"),
                topic("x/#", "both", 2, local_prefix="lx/", remote_prefix="rx/")]

    def setUp(self):
        self.remote = Mosquitto()
        self.clients = []
        cfg = {"data_dir": "none",
               "bridges": [bridge("b1", self.remote.port, self.topics(), protocol_version=self.version,
                                  **self.extra)]}
        self.broker = Broker(cfg)
        self.assertTrue(state_is(self.broker.port, "b1", "1"), self.broker.output())

    def tearDown(self):
        for c in self.clients:
            c.close()
        code = self.broker.stop()
        self.remote.close()
        self.assertEqual(code, 0, self.broker.output())

    def client(self, port, **kw):
        c = client(port, **kw)
        self.clients.append(c)
        return c


class OutInBoth(BridgeTestCase):
    def test_out_with_prefix_every_qos(self):
        remote = self.client(self.remote.port)
        remote.subscribe("r/#", qos=2)
        remote.subscribe("capped/#", qos=2)
        local = self.client(self.broker.port)
        for qos in (0, 1, 2):
            local.publish("o/a/%d" % qos, b"m%d" % qos, qos=qos)
        local.publish("capped/t", b"c", qos=2)
        local.publish("elsewhere/t", b"not bridged", qos=1)
        got = payloads(messages(remote, 4))
        self.assertEqual(sorted(got), [("capped/t", "c", 1), ("r/o/a/0", "m0", 0), ("r/o/a/1", "m1", 1),
                                       ("r/o/a/2", "m2", 2)])

    def test_in_with_prefix_every_qos(self):
        local = self.client(self.broker.port)
        local.subscribe("L/#", qos=2)
        remote = self.client(self.remote.port)
        for qos in (0, 1, 2):
            remote.publish("i/b/%d" % qos, b"n%d" % qos, qos=qos)
        remote.publish("o/not-in", b"x", qos=1)  # an out topic: nothing comes in
        got = payloads(messages(local, 3))
        self.assertEqual(sorted(got), [("L/i/b/0", "n0", 0), ("L/i/b/1", "n1", 1), ("L/i/b/2", "n2", 2)])

    def test_both_ways_without_loops(self):
        local = self.client(self.broker.port)
        local.subscribe("lx/#", qos=2)
        remote = self.client(self.remote.port)
        remote.subscribe("rx/#", qos=2)
        local.publish("lx/x/from-local", b"1", qos=1)
        remote.publish("rx/x/from-remote", b"2", qos=2)
        # Each side sees each message once: none comes back across the bridge.
        self.assertEqual(sorted(payloads(messages(local, 2, settle=1.0))),
                         [("lx/x/from-local", "1", 1), ("lx/x/from-remote", "2", 2)])
        self.assertEqual(sorted(payloads(messages(remote, 2, settle=0.2))),
                         [("rx/x/from-local", "1", 1), ("rx/x/from-remote", "2", 2)])

    def test_retain_flag_carried_both_ways(self):
        local = self.client(self.broker.port)
        local.publish("o/kept", b"k", qos=1, retain=True)
        remote = self.client(self.remote.port)
        remote.publish("i/kept", b"j", qos=1, retain=True)
        # Late subscribers get them as retained messages on each side.
        def retained(port, flt, want):
            c = self.client(port)
            c.subscribe(flt, qos=1)
            msgs = c.wait_msgs(1, timeout=1)
            return [(m.topic, m.payload, m.retain) for m in msgs] == [want]
        self.assertTrue(wait_for(lambda: retained(self.remote.port, "r/o/kept", ("r/o/kept", b"k", True)), 5))
        self.assertTrue(wait_for(lambda: retained(self.broker.port, "L/i/kept", ("L/i/kept", b"j", True)), 5))


class Notifications(BridgeTestCase):
    def test_state_on_both_sides_and_by_will(self):
        self.assertTrue(state_is(self.remote.port, "b1", "1"))
        # The remote goes away: "0" here.
        self.remote.stop()
        self.assertTrue(state_is(self.broker.port, "b1", "0"), self.broker.output())
        self.remote.start()
        self.assertTrue(state_is(self.broker.port, "b1", "1"), self.broker.output())
        self.assertTrue(state_is(self.remote.port, "b1", "1"))
        # actormq killed: the remote publishes the bridge's will, "0".
        self.broker.stop(signal.SIGKILL)
        self.assertTrue(state_is(self.remote.port, "b1", "0"), self.remote.output())
        self.broker.proc.returncode = 0  # killed on purpose

    def test_stopping_says_zero_to_the_remote(self):
        self.assertTrue(state_is(self.remote.port, "b1", "1"))
        self.assertEqual(self.broker.stop(), 0)
        self.assertTrue(state_is(self.remote.port, "b1", "0"), self.remote.output())


class RemoteRestart(BridgeTestCase):
    def setUp(self):
        self.remote = None
        super().setUp()

    def test_messages_wait_for_a_restarted_remote(self):
        # A persistent subscriber on a remote that keeps its sessions.
        self.remote.close()
        self.broker.stop()
        self.remote = Mosquitto(persistence=True)
        self.broker = Broker({"data_dir": "none",
                              "bridges": [bridge("b1", self.remote.port, self.topics())]})
        self.assertTrue(state_is(self.broker.port, "b1", "1"), self.broker.output())
        sub = client(self.remote.port, cid="rsub", version=4, clean=False)
        sub.subscribe("r/#", qos=1)
        sub.close()
        local = self.client(self.broker.port)
        local.publish("o/before", b"0", qos=1)
        self.remote.stop()
        self.assertTrue(state_is(self.broker.port, "b1", "0"), self.broker.output())
        for i in range(1, 6):
            local.publish("o/during", b"%d" % i, qos=1)  # acknowledged here, held for the remote
        time.sleep(1.5)  # a few failed redials, the backoff growing
        self.remote.start()
        self.assertTrue(state_is(self.broker.port, "b1", "1"), self.broker.output())
        sub = self.client(self.remote.port, cid="rsub", version=4, clean=False)
        got = [m.payload.decode() for m in messages(sub, 6, settle=0.5) if m.topic != "r/o/before"]
        self.assertEqual(got, ["1", "2", "3", "4", "5"], self.broker.output() + self.remote.output())
        out = self.broker.output()
        self.assertGreaterEqual(out.count("bridge b1 (127.0.0.1:%d): connected" % self.remote.port), 2, out)
        self.assertIn("bridge b1 (127.0.0.1:%d): down" % self.remote.port, out)


class DeadRemote(BridgeTestCase):
    extra = {"keepalive": 1}

    def test_a_silent_remote_is_detected_and_redialled(self):
        self.remote.proc.send_signal(signal.SIGSTOP)
        try:
            self.assertTrue(wait_for(lambda: "nothing from the remote for" in self.broker.output(), 6),
                            self.broker.output())
            self.assertTrue(state_is(self.broker.port, "b1", "0"))
        finally:
            self.remote.proc.send_signal(signal.SIGCONT)
        self.assertTrue(state_is(self.broker.port, "b1", "1"), self.broker.output())


class V5Bridge(BridgeTestCase):
    version = "mqttv5"

    def test_properties_carried_both_ways(self):
        remote = self.client(self.remote.port)
        remote.subscribe("r/#", qos=1)
        local = self.client(self.broker.port)
        local.subscribe("L/#", qos=1)
        p = props(PacketTypes.PUBLISH, ContentType="text/plain", UserProperty=[("k", "v")],
                  ResponseTopic="reply/here", CorrelationData=b"c1")
        local.publish("o/p", b"out", qos=1, properties=p)
        remote.publish("i/p", b"in", qos=1, properties=p)
        for c, t in ((remote, "r/o/p"), (local, "L/i/p")):
            msgs = c.wait_msgs(1, 5)
            self.assertEqual([m.topic for m in msgs], [t])
            got = msgs[0].properties
            self.assertEqual(got.ContentType, "text/plain")
            self.assertEqual(got.UserProperty, [("k", "v")])
            self.assertEqual(got.ResponseTopic, "reply/here")
            self.assertEqual(got.CorrelationData, b"c1")

    def test_both_ways_without_loops_over_v5(self):
        local = self.client(self.broker.port)
        local.subscribe("lx/#", qos=1)
        remote = self.client(self.remote.port)
        remote.subscribe("rx/#", qos=1)
        local.publish("lx/x/a", b"1", qos=1)
        remote.publish("rx/x/b", b"2", qos=1)
        self.assertEqual(sorted(payloads(messages(local, 2, settle=1.0))), [("lx/x/a", "1", 1), ("lx/x/b", "2", 1)])
        self.assertEqual(sorted(payloads(messages(remote, 2, settle=0.2))), [("rx/x/a", "1", 1), ("rx/x/b", "2", 1)])


if __name__ == "__main__":
    unittest.main()
