"""$SYS/broker/... topics published every sys_interval seconds."""

import unittest

from harness import Broker, Sub, main, pub


class Sys(unittest.TestCase):
    def test_sys_topics(self):
        with Broker({"sys_interval": 1}) as b:
            pub(b.port, "x/y", "count me")
            s = Sub(b.port, "$SYS/broker/#", timeout=3)
            lines = s.lines()
            topics = {l.split(" ", 1)[0]: l.split(" ", 1)[1] if " " in l else "" for l in lines}
            for t in ("$SYS/broker/version", "$SYS/broker/uptime",
                      "$SYS/broker/clients/connected", "$SYS/broker/messages/received"):
                self.assertIn(t, topics, lines)
            self.assertIn("actormq", topics["$SYS/broker/version"])
            self.assertGreaterEqual(int(topics["$SYS/broker/clients/connected"].split()[0]), 1)
            self.assertGreaterEqual(int(topics["$SYS/broker/messages/received"].split()[0]), 1)

    def test_sys_off(self):
        with Broker({"sys_interval": 0}) as b:
            s = Sub(b.port, "$SYS/#", timeout=2)
            self.assertEqual(s.lines(), [])

    def test_sys_topics_published(self):
        with Broker(config={"sys_interval": 1}) as broker:
            pub(broker.port, "x", "y")
            s = Sub(broker.port, "$SYS/broker/#", count=60, timeout=4)
            topics = {line.split(" ", 1)[0] for line in s.lines()}
            for t in ["$SYS/broker/version", "$SYS/broker/uptime", "$SYS/broker/clients/connected",
                      "$SYS/broker/messages/received", "$SYS/broker/load/messages/received/1min"]:
                self.assertIn(t, topics)
            # A leading wildcard does not match $SYS (MQTT 4.7.2).
            hidden = Sub(broker.port, "#", count=1, timeout=2)
            self.assertEqual(hidden.lines(), [])


if __name__ == "__main__":
    main()
