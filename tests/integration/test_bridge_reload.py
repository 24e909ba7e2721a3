"""SIGHUP reads the bridges of the configuration file again
(bridge/mqtt/bridge_service): a bridge added starts, one removed stops,
one changed starts again with its new settings, and one unchanged keeps
its connection; a file that does not load changes nothing."""

import json
import os
import signal
import threading
import unittest

from bridge_util import Mosquitto, bridge, client, state_is, topic
from harness import Broker, main, wait_for
from test_bridge_store import first_occurrences


class BridgeReload(unittest.TestCase):
    def setUp(self):
        self.remote = Mosquitto()
        self.addCleanup(self.remote.close)

    def bridge(self, name, local, remote_prefix):
        return bridge(name, self.remote.port, [topic(local + "/#", "out", 1, remote_prefix=remote_prefix)])

    @staticmethod
    def reload(broker, config):
        """Writes `config` over the broker's file and sends SIGHUP."""
        path = os.path.join(broker.dir, "config.json")
        with open(path + ".new", "w") as f:
            f.write(config if isinstance(config, str) else json.dumps(config))
        os.replace(path + ".new", path)
        broker.proc.send_signal(signal.SIGHUP)

    def connects(self, broker, name):
        return broker.output().count("bridge %s (127.0.0.1:%d): connected" % (name, self.remote.port))

    def forwarded(self, broker, sub, topics):
        """Publishes on each local topic; the remote topics that arrive."""
        with sub.cond:
            sub.msgs.clear()
        pub = client(broker.port)
        try:
            for t in topics:
                pub.publish(t, b"x", qos=1)
        finally:
            pub.close()
        return sorted(m.topic for m in sub.quiet(1.0))

    def test_added_removed_changed_and_unchanged_bridges(self):
        keep, gone = self.bridge("keep", "k", "r/"), self.bridge("gone", "g", "r/")
        change = self.bridge("change", "c", "r1/")
        config = {"data_dir": "none", "sys_interval": 1, "bridges": [keep, gone, change]}
        b = Broker(config)
        self.addCleanup(b.stop)
        for name in ("keep", "gone", "change"):
            self.assertTrue(state_is(b.port, name, "1"), b.output())
        sub = client(self.remote.port, cid="rsub")
        self.addCleanup(sub.close)
        for f in ("r/#", "r1/#", "r2/#"):
            sub.subscribe(f, qos=1)
        self.assertEqual(self.forwarded(b, sub, ["k/1", "g/1", "c/1"]), ["r/g/1", "r/k/1", "r1/c/1"])

        config["bridges"] = [self.bridge("added", "a", "r/"), keep, self.bridge("change", "c", "r2/")]
        self.reload(b, config)
        self.assertTrue(wait_for(lambda: "bridge gone: removed from the configuration" in b.output(), 10),
                        b.output())
        self.assertTrue(state_is(b.port, "added", "1"), b.output())
        self.assertTrue(state_is(b.port, "gone", "0"), b.output())
        self.assertTrue(wait_for(lambda: self.connects(b, "change") == 2, 10), b.output())
        self.assertEqual(self.forwarded(b, sub, ["k/2", "g/2", "c/2", "a/2"]), ["r/a/2", "r/k/2", "r2/c/2"])
        self.assertEqual(self.connects(b, "keep"), 1, b.output())  # never reconnected

        # A file that does not load changes nothing (the broker keeps its whole running configuration).
        self.reload(b, "{not json")
        self.assertTrue(wait_for(lambda: "not applied; the running configuration stays" in b.output(), 10),
                        b.output())
        self.assertEqual(self.forwarded(b, sub, ["k/3", "c/3", "a/3"]), ["r/a/3", "r/k/3", "r2/c/3"])
        self.assertEqual(self.connects(b, "keep"), 1, b.output())

    def test_bridges_added_to_a_file_that_had_none(self):
        config = {"data_dir": "none"}
        b = Broker(config)
        self.addCleanup(b.stop)
        config["bridges"] = [self.bridge("late", "l", "r/")]
        self.reload(b, config)
        self.assertTrue(state_is(b.port, "late", "1"), b.output())
        sub = client(self.remote.port, cid="rsub")
        self.addCleanup(sub.close)
        sub.subscribe("r/#", qos=1)
        self.assertEqual(self.forwarded(b, sub, ["l/1"]), ["r/l/1"])


class ChangedBridgeStream(unittest.TestCase):
    """A changed bridge's new process takes the routes of its out topics
    over from the old one, buffering until the old one's messages are
    stored: QoS 1 messages published locally during reloads all reach the
    remote, in order of their first arrival (QoS 1 may repeat)."""

    total = 2500

    def setUp(self):
        # No bound on what mosquitto queues for its subscriber: a backlog
        # the bridge sends in one go must not be dropped there.
        self.remote = Mosquitto(extra=("max_queued_messages 0",))
        self.addCleanup(self.remote.close)
        self.sub = client(self.remote.port, cid="rsub")
        self.addCleanup(self.sub.close)
        self.sub.subscribe("r/#", qos=1)

    def config(self, data_dir, keepalive, patterns):
        b = bridge("b1", self.remote.port, [topic(p, "out", 1, remote_prefix="r/") for p in patterns],
                   keepalive=keepalive)
        return {"data_dir": data_dir, "bridges": [b]}

    def stream_through_reloads(self, first, configs):
        """With the broker started on `first`, publishes `total` QoS 1
        messages on o/s, each after the PUBACK of the one before, while the
        file becomes each of `configs` in turn (SIGHUP, each applied before
        the next); returns the broker and the payloads acknowledged locally."""
        b = Broker(first)
        self.addCleanup(b.stop)
        self.assertTrue(state_is(b.port, "b1", "1"), b.output())
        pub = client(b.port, cid="pub")
        self.addCleanup(pub.close)
        acked = []

        def publish():
            for i in range(self.total):
                pub.publish("o/s", b"%d" % i, qos=1, timeout=30)
                acked.append(i)
        t = threading.Thread(target=publish)
        t.start()
        try:
            for n, config in enumerate(configs, 1):
                wait_for(lambda: len(acked) >= n * self.total // (len(configs) + 2), 30)
                BridgeReload.reload(b, config)
                self.assertTrue(wait_for(lambda: b.output().count("bridge b1: changed in the configuration") >= n,
                                         10), b.output())
        finally:
            t.join(60)
        self.assertEqual(len(acked), self.total, b.output())
        return b, acked

    def assert_all_arrived(self, b, acked, timeout=30):
        """Every payload acknowledged locally reached the remote subscriber,
        in order of first arrival."""
        wait_for(lambda: len(set(m.payload for m in list(self.sub.msgs))) >= len(acked), timeout)
        got = first_occurrences(self.sub.quiet(0.5))
        missing = sorted(set(acked) - set(got))
        self.assertEqual(missing, [], "%d of %d acknowledged messages never reached the remote\n%s"
                         % (len(missing), len(acked), b.output()[-3000:]))
        self.assertEqual(got, acked, b.output()[-3000:])

    def check_stream(self, data_dir, durability="batch"):
        first = self.config(data_dir, 5, ["o/#"])
        configs = [self.config(data_dir, keepalive, ["o/#"]) for keepalive in (6, 7, 8, 9, 5)]
        for c in [first] + configs:
            c["durability"] = durability
        self.assert_all_arrived(*self.stream_through_reloads(first, configs))

    def test_changed_bridge_loses_no_acknowledged_message(self):
        self.check_stream("data")

    def test_changed_bridge_without_a_store_loses_no_acknowledged_message(self):
        self.check_stream("none")

    def test_changed_bridge_under_durability_sync_loses_no_acknowledged_message(self):
        self.check_stream("data", "sync")

    def test_a_pattern_added_and_removed_while_another_streams(self):
        configs = [self.config("data", 5, ps) for ps in (["o/#", "p/#"], ["o/#"], ["p/#", "o/#"], ["o/#"],
                                                         ["o/#", "p/#"])]
        b, acked = self.stream_through_reloads(self.config("data", 5, ["o/#"]), configs)
        self.assert_all_arrived(b, acked)
        # The pattern added last is bridged.
        pub = client(b.port)
        self.addCleanup(pub.close)
        pub.publish("p/1", b"added", qos=1)
        self.assertTrue(wait_for(lambda: any(m.topic == "r/p/1" for m in list(self.sub.msgs)), 10), b.output())


if __name__ == "__main__":
    main()
