"""SIGHUP reads the bridges of the configuration file again
(bridge/mqtt/bridge_service): a bridge added starts, one removed stops,
one changed starts again with its new settings, and one unchanged keeps
its connection; a file that does not load changes nothing."""

import json
import os
import signal
import unittest

from bridge_util import Mosquitto, bridge, client, state_is, topic
from harness import Broker, main, wait_for


class BridgeReload(unittest.TestCase):
    def setUp(self):
        self.remote = Mosquitto()
        self.addCleanup(self.remote.close)

    def bridge(self, name, local, remote_prefix):
        return bridge(name, self.remote.port, [topic(local + "/#", "out", 1, remote_prefix=remote_prefix)])

    def reload(self, broker, config):
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


if __name__ == "__main__":
    main()
