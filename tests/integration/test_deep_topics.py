"""Topics of tens of thousands of levels. A will topic is held to
max_topic_levels like a PUBLISH topic (refused at CONNECT: v5 CONNACK 0x90,
3.1.1 closes); and where the limit lets deep topics in (max_topic_levels up
to 65535, or a store written under an older limit), the retained index and
the route trie walk them without running out of stack, across a restart."""

import shutil
import signal
import tempfile
import unittest

from harness import (Broker, RawClient, main, publish_packet, publishes,
                     subscribe_packet, will_connect)

DEEP = "/" * 64999  # 65,000 levels, all empty


class DeepTopics(unittest.TestCase):
    def subscribe(self, port, flt, cid=b"deep-sub", version=4):
        """A client subscribed to `flt` at QoS 0, its SUBACK read."""
        c = RawClient(port)
        self.assertEqual(c.connect(cid, version=version)[0], 0x20)
        c.send(subscribe_packet([(flt, 0)], version=version))
        first, _ = c.recv_packet()
        self.assertEqual(first, 0x90)
        return c

    def test_deep_retained_will_refused_and_broker_survives(self):
        with Broker() as b:
            # v5: CONNACK 0x90 (Topic Name invalid), as for an invalid will topic.
            c = RawClient(b.port)
            c.send(will_connect(b"deep5", DEEP.encode(), b"bye", qos=1, retain=True, version=5))
            first, body = c.recv_packet()
            self.assertEqual((first, body[1]), (0x20, 0x90))
            data, closed = c.recv_all(timeout=2)
            self.assertTrue(closed)
            c.close()
            # 3.1.1 has no return code for it: the connection is closed, no CONNACK.
            c = RawClient(b.port)
            c.send(will_connect(b"deep4", DEEP.encode(), b"bye", qos=1, retain=True, version=4))
            data, closed = c.recv_all(timeout=2)
            self.assertEqual((data, closed), (b"", True))
            c.close()
            # Had a will been kept and published, this '#' subscriber's retained
            # lookup would walk its 65,000 levels.
            s = self.subscribe(b.port, "#")
            self.assertEqual(publishes(s.recv_until_quiet(timeout=1)), [])
            p = RawClient(b.port)
            self.assertEqual(p.connect(b"pub")[0], 0x20)
            p.send(publish_packet("still/here", "yes"))
            self.assertEqual(publishes(s.recv_until_quiet(timeout=1)), [("still/here", b"yes")])
            s.close()
            p.close()
            self.assertTrue(b.alive())
            self.assertEqual(b.stop(), 0, b.output())

    def test_deep_topics_allowed_by_the_limit_survive_walks_and_a_restart(self):
        data = tempfile.mkdtemp(prefix="actormq-data-")
        config = {"data_dir": data, "max_topic_levels": 65535}
        try:
            with Broker(config) as b:
                port = b.port
                # A deep wildcard filter in the route trie, a deep retained topic in the index.
                w = self.subscribe(port, "/" * 40000 + "#", cid=b"deep-wild")
                p = RawClient(port)
                self.assertEqual(p.connect(b"pub")[0], 0x20)
                p.send(publish_packet(DEEP, "kept", qos=1, retain=True))
                self.assertEqual(p.recv_packet()[0], 0x40)
                self.assertEqual(publishes(w.recv_until_quiet(timeout=1)), [(DEEP, b"kept")])
                w.close()
                s = self.subscribe(port, "#")
                self.assertEqual(publishes(s.recv_until_quiet(timeout=1)), [(DEEP, b"kept")])
                s.close()
                p.close()
                self.assertEqual(b.stop(signal.SIGTERM), 0, b.output())
            # Read back from the store at start, served, then cleared.
            with Broker(config, port=port) as b:
                s = self.subscribe(port, "#")
                self.assertEqual(publishes(s.recv_until_quiet(timeout=1)), [(DEEP, b"kept")])
                s.close()
                p = RawClient(port)
                self.assertEqual(p.connect(b"pub")[0], 0x20)
                p.send(publish_packet(DEEP, "", qos=1, retain=True))
                self.assertEqual(p.recv_packet()[0], 0x40)
                p.close()
                s = self.subscribe(port, "#")
                self.assertEqual(publishes(s.recv_until_quiet(timeout=1)), [])
                s.close()
                self.assertTrue(b.alive())
                self.assertEqual(b.stop(signal.SIGTERM), 0, b.output())
        finally:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
