"""Last will: sent when a connection drops without DISCONNECT, not after a
clean DISCONNECT; will QoS and retain; v5 reason 0x04."""

import subprocess
import time

from harness import (BrokerTestCase, RawClient, Sub, _started, disconnect_packet, main,
                     will_connect)


class Will(BrokerTestCase):
    def raw_with_will(self, cid, version=4, **kw):
        c = RawClient(self.port)
        c.send(will_connect(cid, b"w/" + cid, b"gone-" + cid, version=version, **kw))
        first, body = c.recv_packet()
        self.assertEqual(first, 0x20)
        return c

    def test_socket_closed_sends_will(self):
        for v, ver in ((4, "311"), (5, "5")):
            s = Sub(self.port, "w/#", count=1, timeout=3, version=ver)
            c = self.raw_with_will(b"drop%d" % v, version=v)
            c.close()
            self.assertEqual(s.lines(), ["w/drop%d gone-drop%d" % (v, v)])

    def test_clean_disconnect_no_will(self):
        for v, ver in ((4, "311"), (5, "5")):
            s = Sub(self.port, "w/#", timeout=1.5, version=ver)
            c = self.raw_with_will(b"clean%d" % v, version=v)
            c.send(disconnect_packet(0) if v == 5 else disconnect_packet())
            c.recv_all(timeout=1)
            c.close()
            self.assertEqual(s.lines(), [])

    def test_v5_disconnect_with_will_reason(self):
        s = Sub(self.port, "w/#", count=1, timeout=3, version="5")
        c = self.raw_with_will(b"r4", version=5)
        c.send(disconnect_packet(0x04))
        c.recv_all(timeout=1)
        c.close()
        self.assertEqual(s.lines(), ["w/r4 gone-r4"])

    def test_killed_mosquitto_client_sends_will(self):
        s = Sub(self.port, "w/#", count=1, timeout=4, fmt="%t %q %r %p", *("-q", "2"))
        p = subprocess.Popen(["mosquitto_sub", "-p", str(self.port), "-t", "x/none", "-i", "victim",
                              "--will-topic", "w/victim", "--will-payload", "bye",
                              "--will-qos", "1"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        _started.append(p)
        time.sleep(0.4)
        p.kill()
        p.wait()
        self.assertEqual(s.lines(), ["w/victim 1 0 bye"])

    def test_will_retain(self):
        c = self.raw_with_will(b"ret", qos=1, retain=True)
        c.close()
        time.sleep(0.3)
        s = Sub(self.port, "w/#", count=1, timeout=3, fmt="%t %r %q %p", *("-q", "1"))
        self.assertEqual(s.lines(), ["w/ret 1 1 gone-ret"])


if __name__ == "__main__":
    main()
