"""systemd's notification protocol (core/upgrade/systemd_notify.*): with
$NOTIFY_SOCKET set, as under a Type=notify unit, the broker says READY=1
(with its MAINPID) once it serves, RELOADING=1 then READY=1 around a
SIGHUP, STOPPING=1 at SIGTERM; across an upgrade (SIGUSR2) the new process
names itself as MAINPID before the old one exits, so that systemd follows
the service instead of taking the old process's exit for its end. The
socket here is the test's own, standing for systemd's."""

import os
import shutil
import signal
import socket
import tempfile
import time
import unittest

from harness import Broker, main, wait_for
from test_upgrade import read_pid, running, stop_pid


class Listener:
    """A Unix datagram socket at a path or an abstract name: what systemd reads."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(0.2)
        self.got = []

    def states(self, until, timeout=15):
        """Datagrams (as sets of KEY=VALUE lines) until one satisfies `until`."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            self.got.append(dict(line.split("=", 1) for line in data.split("\n") if line))
            if until(self.got[-1]):
                return self.got
        raise AssertionError("no such notification; got %r" % self.got)

    def close(self):
        self.sock.close()


class SystemdNotify(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="actormq-notify-")
        self.pid_file = os.path.join(self.dir, "actormq.pid")

    def tearDown(self):
        stop_pid(read_pid(self.pid_file))
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, address, env_value):
        listener = Listener(address)
        self.addCleanup(listener.close)
        config = {"data_dir": os.path.join(self.dir, "data"), "pid_file": self.pid_file, "sys_interval": 0}
        b = Broker(config, env={"NOTIFY_SOCKET": env_value})
        self.addCleanup(b.stop)
        return b, listener

    def test_ready_reload_stop(self):
        path = os.path.join(self.dir, "notify")
        b, systemd = self.start(path, path)
        got = systemd.states(lambda s: s.get("READY") == "1")
        self.assertEqual(got[-1], {"MAINPID": str(b.proc.pid), "READY": "1"})
        b.proc.send_signal(signal.SIGHUP)
        got = systemd.states(lambda s: s.get("READY") == "1")
        self.assertEqual(got[-2:], [{"RELOADING": "1"}, {"READY": "1"}])
        self.assertEqual(b.stop(), 0, b.output())
        self.assertEqual(systemd.states(lambda s: "STOPPING" in s)[-1], {"STOPPING": "1"})

    def test_an_abstract_socket_name(self):
        name = "actormq-notify-%d" % os.getpid()
        b, systemd = self.start("\0" + name, "@" + name)
        got = systemd.states(lambda s: s.get("READY") == "1")
        self.assertEqual(got[-1]["MAINPID"], str(b.proc.pid))

    def test_an_upgrade_names_the_new_process_before_the_old_exits(self):
        path = os.path.join(self.dir, "notify")
        b, systemd = self.start(path, path)
        systemd.states(lambda s: s.get("READY") == "1")
        old = b.proc.pid
        b.proc.send_signal(signal.SIGUSR2)
        got = systemd.states(lambda s: s.get("MAINPID") not in (None, str(old)))
        new = int(got[-1]["MAINPID"])
        self.assertEqual(got[-1]["READY"], "1")
        # Sent before the new process tells the old one that it serves
        # (core/main.cpp), so before the old one exits, which it then does.
        self.assertTrue(wait_for(lambda: b.proc.poll() is not None, 15), b.output())
        self.assertEqual(b.proc.returncode, 0, b.output())
        self.assertNotIn({"STOPPING": "1"}, systemd.got)  # the service goes on
        self.assertTrue(running(new))
        self.assertEqual(read_pid(self.pid_file), new)
        os.kill(new, signal.SIGTERM)
        self.assertEqual(systemd.states(lambda s: "STOPPING" in s)[-1], {"STOPPING": "1"})
        self.assertTrue(wait_for(lambda: not running(new), 10))


if __name__ == "__main__":
    main()
