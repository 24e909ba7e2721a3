"""`actormq ctl` on the real binary (core/ctl/): status through the HTTP API
found in the config file, and upgrade through the pid_file: to a copy of
the binary while a persistent subscriber keeps its session, and to a binary
that exits at once (rolled back, the old broker serves on). The harness
stops an upgraded broker's new process too (Broker.stop)."""

import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from auth_util import Files
from harness import Broker, RawClient, free_port, process_running, publish_packet, subscribe_packet, wait_for


def ctl(*args, timeout=60):
    """Runs `actormq ctl ARGS` (the binary under test); CompletedProcess."""
    return subprocess.run([harness.ACTORMQ, "ctl", *args], capture_output=True, text=True, timeout=timeout)


class CtlTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="actormq-ctl-")
        self.files = Files()
        self.pid_file = os.path.join(self.dir, "actormq.pid")
        self.http_port = free_port()
        self.brokers = []

    def tearDown(self):
        for b in self.brokers:
            b.stop()
        self.files.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, binary=None):
        """A broker (from `binary`, else the one under test) with a store, the
        pid_file and an http listener; its config file is what ctl reads."""
        passwd = self.files.passwd("api_passwd", [("ops", "secret")])
        config = {"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": 1883},
                                {"type": "http", "bind": "0.0.0.0", "port": self.http_port,
                                 "password_file": passwd, "admin_users": ["ops"]}],
                  "data_dir": os.path.join(self.dir, "data"), "pid_file": self.pid_file, "sys_interval": 0}
        os.makedirs(config["data_dir"], exist_ok=True)
        saved = harness.ACTORMQ
        harness.ACTORMQ = binary or saved
        try:
            b = Broker(config)
        finally:
            harness.ACTORMQ = saved
        self.brokers.append(b)
        self.config = os.path.join(b.dir, "config.json")
        # The pid_file is written once the broker serves, which may be just after its listeners log.
        self.assertTrue(wait_for(lambda: os.path.exists(self.pid_file) and self.read_pid() == b.proc.pid, 10),
                        b.output())
        return b

    def read_pid(self):
        with open(self.pid_file) as f:
            return int(f.read())

    def copy_binary(self):
        exe = os.path.join(self.dir, "actormq")
        shutil.copy(harness.ACTORMQ, exe)
        return exe

    def test_status(self):
        b = self.start()
        r = ctl("--config", self.config, "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^status +running$")
        self.assertIn("--user and --password", r.stdout)
        # With a user: the node's counts; the general options after the command too.
        client = RawClient(b.port)
        self.assertEqual(client.connect(b"counted")[0], 0x20)
        r = ctl("status", "--config", self.config, "--user", "ops", "--password", "secret")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^connections +1$")
        self.assertRegex(r.stdout, r"(?m)^node_status +running$")
        client.close()
        # The password from the environment; a wrong one is refused, exit 1.
        env = dict(os.environ, ACTORMQ_CTL_PASSWORD="wrong")
        r = subprocess.run([harness.ACTORMQ, "ctl", "--config", self.config, "--user", "ops", "status"],
                           capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("HTTP 401", r.stderr)
        # --api instead of the config.
        r = ctl("--api", "http://127.0.0.1:%d" % self.http_port, "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(b.stop(), 0)
        r = ctl("--api", "http://127.0.0.1:%d" % self.http_port, "status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not answer", r.stderr)
        self.assertIn("Connection refused", r.stderr)

    def test_upgrade_keeps_a_persistent_session(self):
        exe = self.copy_binary()
        b = self.start(exe)
        sub = RawClient(b.port)
        self.assertEqual(sub.connect(b"keeper", clean=False), (0x20, b"\x00\x00"))
        sub.send(subscribe_packet([(b"kept/t", 1)]))
        self.assertEqual(sub.recv_packet()[0], 0x90)
        # A new binary at the broker's path, as a package upgrade leaves it.
        shutil.copy(harness.ACTORMQ, exe + ".new")
        os.replace(exe + ".new", exe)
        old_pid = b.proc.pid
        r = ctl("--config", self.config, "upgrade", "--timeout", "30")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + b.output())
        new_pid = self.read_pid()
        self.assertNotEqual(new_pid, old_pid)
        self.assertRegex(r.stdout, r"upgraded: process %d -> %d in \d+\.\d\d s" % (old_pid, new_pid))
        self.assertEqual(b.proc.wait(10), 0)
        self.assertTrue(process_running(new_pid))
        # The drained subscriber comes back to its session and subscription.
        sub.close()
        sub = RawClient(b.port)
        self.assertEqual(sub.connect(b"keeper", clean=False), (0x20, b"\x01\x00"))
        pub = RawClient(b.port)
        self.assertEqual(pub.connect(b"pub")[0], 0x20)
        pub.send(publish_packet("kept/t", b"after", qos=1, packet_id=7))
        self.assertEqual(pub.recv_packet(), (0x40, b"\x00\x07"))
        got = harness.publishes(sub.recv_for(2))
        self.assertEqual(got, [("kept/t", b"after")])
        pub.close()
        sub.close()
        r = ctl("--config", self.config, "status")
        self.assertEqual(r.returncode, 0, r.stderr)  # the http listener was handed over too
        # The harness ends the new process with the test.
        b.stop()
        self.assertFalse(process_running(new_pid))

    def test_upgrade_to_a_failing_binary_rolls_back(self):
        exe = self.copy_binary()
        b = self.start(exe)
        client = RawClient(b.port)
        self.assertEqual(client.connect(b"stays", clean=False)[0], 0x20)
        with open(exe + ".new", "w") as f:
            f.write("#!/bin/sh\nexit 1\n")
        os.chmod(exe + ".new", 0o755)
        os.replace(exe + ".new", exe)
        r = ctl("--config", self.config, "upgrade", "--timeout", "30")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("the upgrade was rolled back", r.stderr)
        self.assertIn("process %d serves on" % b.proc.pid, r.stderr)
        self.assertIn("exited with status 1", b.output())
        self.assertTrue(b.alive())
        self.assertEqual(self.read_pid(), b.proc.pid)
        client.send(b"\xc0\x00")
        self.assertEqual(client.recv_packet(), (0xD0, b""))
        other = RawClient(b.port)
        self.assertEqual(other.connect(b"new")[0], 0x20)
        other.close()
        client.close()
        self.assertEqual(b.stop(), 0)

    def test_upgrade_needs_a_live_pid_file(self):
        r = ctl("--pid-file", self.pid_file, "upgrade")
        self.assertEqual(r.returncode, 1)
        self.assertIn("pid_file %s: No such file or directory" % self.pid_file, r.stderr)
        done = subprocess.Popen(["true"])
        done.wait()
        with open(self.pid_file, "w") as f:
            f.write("%d\n" % done.pid)
        r = ctl("--pid-file", self.pid_file, "upgrade")
        self.assertEqual(r.returncode, 1)
        self.assertIn("names process %d, which is not running" % done.pid, r.stderr)
        with open(self.pid_file, "w") as f:
            f.write("twelve\n")
        r = ctl("--pid-file", self.pid_file, "upgrade")
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not hold a process id", r.stderr)
        r = ctl("upgrade")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no pid_file", r.stderr)

    def test_bad_arguments(self):
        r = ctl("frob")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command \"frob\"", r.stderr)
        self.assertIn("usage: actormq ctl", r.stderr)
        self.assertEqual(r.stdout, "")
        r = ctl("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("upgrade", r.stdout)


if __name__ == "__main__":
    unittest.main()
