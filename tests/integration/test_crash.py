"""Crash isolation: with ACTORMQ_TEST_CRASH_TOPIC set, a session publishing
there crashes; its connection closes, its will is published, the crash is
logged with the client id, and everyone else carries on."""

import time
import unittest

from harness import Broker, RawClient, Sub, main, pub, publish_packet, will_connect


class Crash(unittest.TestCase):
    def test_crashing_session_isolated(self):
        b = Broker(env={"ACTORMQ_TEST_CRASH_TOPIC": "crash/me"})
        try:
            for v, ver in ((4, "311"), (5, "5")):
                cid = b"crasher%d" % v
                s = Sub(b.port, ["w/#", "live/#"], count=3, timeout=5, version=ver)
                other = RawClient(b.port)
                self.assertEqual(other.connect(b"other%d" % v, version=v)[0], 0x20)
                c = RawClient(b.port)
                c.send(will_connect(cid, b"w/" + cid, b"died", version=v))
                self.assertEqual(c.recv_packet()[0], 0x20)
                pub(b.port, "live/1", "before", version=ver)
                c.send(publish_packet("crash/me", "boom", version=v))
                data, closed = c.recv_all(timeout=4)
                self.assertTrue(closed)
                pub(b.port, "live/2", "after", version=ver)
                lines = s.lines()
                self.assertEqual(sorted(lines), sorted(["live/1 before", "w/%s died" % cid.decode(),
                                                        "live/2 after"]))
                self.assertNotIn("crash/me boom", lines)
                other.send(b"\xc0\x00")
                self.assertEqual(other.recv_packet(), (0xD0, b""))
                other.close()
                deadline = time.time() + 3
                while time.time() < deadline and cid.decode() not in b.output():
                    time.sleep(0.05)
                log = b.output()
                self.assertTrue(any(cid.decode() in l and "crashed" in l for l in log.splitlines()), log)
            self.assertTrue(b.alive())
        finally:
            self.assertEqual(b.stop(), 0, b.output())


if __name__ == "__main__":
    main()
