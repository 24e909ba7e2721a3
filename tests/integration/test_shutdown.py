"""SIGTERM with connected clients: v5 clients get DISCONNECT 0x8B, exit 0."""

import signal
import subprocess
import time
import unittest

from harness import Broker, RawClient, _started, connect_packet, main


class Shutdown(unittest.TestCase):
    def test_sigterm_with_clients(self):
        b = Broker()
        v5 = RawClient(b.port)
        self.assertEqual(v5.connect(b"v5c", version=5)[0], 0x20)
        v3 = RawClient(b.port)
        self.assertEqual(v3.connect(b"v3c")[0], 0x20)
        sub = subprocess.Popen(["mosquitto_sub", "-p", str(b.port), "-t", "#"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _started.append(sub)
        time.sleep(0.3)
        b.proc.send_signal(signal.SIGTERM)
        data, closed = v5.recv_all(timeout=5)
        self.assertTrue(closed)
        self.assertGreaterEqual(len(data), 3)
        self.assertEqual((data[0], data[2]), (0xE0, 0x8B))
        data, closed = v3.recv_all(timeout=5)
        self.assertTrue(closed)
        self.assertEqual(data, b"")
        self.assertEqual(b.stop(), 0, b.output())
        sub.kill()
        sub.wait()

    def test_sigint_idle(self):
        b = Broker()
        self.assertEqual(b.stop(signal.SIGINT), 0, b.output())

    def test_sigterm_disconnects_v5_clients_and_exits_zero(self):
        b = Broker()
        c = RawClient(b.port)
        c.send(connect_packet(b"stayer", version=5))
        c.sock.settimeout(3)
        self.assertEqual(c.sock.recv(64)[0], 0x20)
        b.proc.send_signal(signal.SIGTERM)
        data, closed = c.recv_all(timeout=5)
        self.assertTrue(closed)
        self.assertEqual(data[0], 0xE0)
        self.assertEqual(data[2], 0x8B)  # server shutting down
        self.assertEqual(b.stop(), 0)


if __name__ == "__main__":
    main()
