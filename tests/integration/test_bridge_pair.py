"""Two actormq brokers bridged both ways (A's bridge to B, direction both):
each message is seen once per side, over 3.1.1 with try_private (B takes
mosquitto's bridge flag: the bridge's subscriptions are No Local) and over
v5 (No Local asked for); without try_private a 3.1.1 remote sends the
bridge's own messages back, which is what the flag is for. B also carries
A's state notifications: "1" while linked, "0" by the will once A dies."""

import signal
import unittest

from bridge_util import bridge, client, messages, payloads, state_is, topic
from harness import Broker


class Pair(unittest.TestCase):
    def start(self, **extra):
        self.b = Broker({"data_dir": "none"})
        self.a = Broker({"data_dir": "none",
                         "bridges": [bridge("ab", self.b.port, [topic("p/#", "both", 1)], **extra)]})
        self.assertTrue(state_is(self.a.port, "ab", "1"), self.a.output())
        self.on_a = client(self.a.port)
        self.on_a.subscribe("p/#", qos=1)
        self.on_b = client(self.b.port)
        self.on_b.subscribe("p/#", qos=1)

    def tearDown(self):
        for c in (self.on_a, self.on_b):
            c.close()
        codes = (self.a.stop(), self.b.stop())
        self.assertEqual(codes, (0, 0), self.a.output() + self.b.output())

    def exchange(self):
        self.on_a.publish("p/from-a", b"a", qos=1)
        self.on_b.publish("p/from-b", b"b", qos=1)
        return (sorted(payloads(messages(self.on_a, 2, settle=1.0))),
                sorted(payloads(messages(self.on_b, 2, settle=0.2))))

    def test_each_message_once_per_side_with_try_private(self):
        self.start(try_private=True, protocol_version="mqttv311")
        both = [("p/from-a", "a", 1), ("p/from-b", "b", 1)]
        self.assertEqual(self.exchange(), (both, both))

    def test_each_message_once_per_side_over_v5(self):
        self.start(protocol_version="mqttv5")
        both = [("p/from-a", "a", 1), ("p/from-b", "b", 1)]
        self.assertEqual(self.exchange(), (both, both))

    def test_without_try_private_the_remote_echoes(self):
        self.start(try_private=False, protocol_version="mqttv311")
        on_a, on_b = self.exchange()
        self.assertEqual(on_b, [("p/from-a", "a", 1), ("p/from-b", "b", 1)])
        # B cannot tell the bridge from a client: A's message comes back once
        # (and stops there: A's own local route is No Local).
        self.assertEqual(on_a, [("p/from-a", "a", 1), ("p/from-a", "a", 1), ("p/from-b", "b", 1)])

    def test_notifications_on_the_actormq_remote(self):
        self.start()
        self.assertTrue(state_is(self.b.port, "ab", "1"), self.b.output())
        self.a.stop(signal.SIGKILL)
        self.assertTrue(state_is(self.b.port, "ab", "0"), self.b.output())
        self.a.proc.returncode = 0  # killed on purpose


if __name__ == "__main__":
    unittest.main()
