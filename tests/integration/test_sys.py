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


if __name__ == "__main__":
    main()
