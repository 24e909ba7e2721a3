"""Per-listener limits: max_connections and max_connection_rate on one
listener refuse its extra connections with a log line naming the listener;
the broker's other listeners and clients are not affected."""

import time
import unittest

from harness import Broker, RawClient, free_port, main, wait_for, wait_port


def try_connect(port, cid):
    """True if the connection got a CONNACK, False if it was closed without one."""
    try:
        c = RawClient(port, timeout=2)
        ack = c.connect(cid)
        return c if ack is not None and ack[0] == 0x20 else None
    except OSError:
        return None


class ListenerLimits(unittest.TestCase):
    def test_max_connections_per_listener(self):
        lp = free_port()
        cfg = {"listeners": [{"type": "tcp"}, {"type": "tcp", "bind": "127.0.0.1", "port": lp, "max_connections": 2}]}
        with Broker(cfg) as b:
            self.assertTrue(wait_port(lp))
            time.sleep(0.3)  # wait_port's probe has left its slot
            held = [try_connect(lp, b"h1"), try_connect(lp, b"h2")]
            self.assertTrue(all(held))
            self.assertIsNone(try_connect(lp, b"third"))
            self.assertTrue(wait_for(lambda: ("listener tcp 127.0.0.1:%d: connection refused: max_connections reached"
                                              % lp) in b.output()), b.output())
            others = [try_connect(b.port, b"other%d" % i) for i in range(4)]  # the other listener
            self.assertTrue(all(others))
            held[0].close()
            self.assertTrue(wait_for(lambda: try_connect(lp, b"later") is not None))

    def test_max_connection_rate(self):
        lp = free_port()
        cfg = {"listeners": [{"type": "tcp"}, {"type": "tcp", "bind": "127.0.0.1", "port": lp, "max_connection_rate": 5}]}
        with Broker(cfg) as b:
            self.assertTrue(wait_port(lp))
            time.sleep(1.1)  # the bucket is full again after wait_port's probe
            results = [try_connect(lp, b"r%d" % i) for i in range(20)]
            accepted = sum(1 for r in results if r)
            self.assertGreaterEqual(accepted, 4)
            self.assertLessEqual(accepted, 9)
            self.assertTrue(wait_for(lambda: "connection(s) refused: max_connection_rate 5/s reached" in b.output()),
                            b.output())
            self.assertTrue(all(try_connect(b.port, b"o%d" % i) for i in range(10)))  # other listener: no limit
            time.sleep(1.1)
            self.assertIsNotNone(try_connect(lp, b"after"))
            self.assertTrue(b.alive())


if __name__ == "__main__":
    main()
