"""A second broker on a port that is already served refuses to start, as
mosquitto does ("address in use"): listeners set SO_REUSEPORT (one socket per
scheduler), which would otherwise let the kernel split new clients between two
brokers with separate state."""

import json
import os
import socket
import subprocess
import tempfile
import unittest

from harness import ACTORMQ, Broker, Sub, free_port, main, pub


def start_second(port, *extra):
    return subprocess.run([ACTORMQ, "--port", str(port), "--bind", "127.0.0.1", "--durability", "none",
                           *extra], capture_output=True, text=True, timeout=20)


class PortInUse(unittest.TestCase):
    def test_second_broker_refused(self):
        with Broker() as first:
            r = start_second(first.port)
            self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("Address already in use", r.stdout + r.stderr)
            # Every client still reaches the first broker's one state.
            sub = Sub(first.port, "t/#", count=20, timeout=10)
            for i in range(20):
                pub(first.port, "t/%d" % i, "m")
            self.assertEqual(len(sub.lines()), 20)
            self.assertTrue(first.alive())

    def test_port_held_by_another_reuseport_socket(self):
        # Any other listener counts, even one that itself allows SO_REUSEPORT.
        port = free_port()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("127.0.0.1", port))
        s.listen()
        try:
            r = start_second(port)
            self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("Address already in use", r.stdout + r.stderr)
        finally:
            s.close()

    def test_second_listener_port_in_use(self):
        taken = free_port()
        s = socket.socket()
        s.bind(("127.0.0.1", taken))
        s.listen()
        try:
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "config.json")
                with open(path, "w") as f:
                    json.dump({"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": free_port()},
                                             {"type": "tcp", "bind": "127.0.0.1", "port": taken}]}, f)
                # Run to its end: the first listener is bound (and completes TCP
                # handshakes) before the second one is refused.
                r = subprocess.run([ACTORMQ, "--config", path, "--durability", "none"], cwd=d,
                                   capture_output=True, text=True, timeout=20)
            self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("Address already in use", r.stdout + r.stderr)
        finally:
            s.close()

    def test_restart_on_same_port(self):
        # A connection left in TIME_WAIT by the first broker does not hold the port.
        port = free_port()
        with Broker(port=port) as b:
            pub(b.port, "x", "y")
        with Broker(port=port) as b:
            pub(b.port, "x", "y")
            self.assertTrue(b.alive())


if __name__ == "__main__":
    main()
