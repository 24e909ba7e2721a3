"""Out of file descriptors: connections beyond the process's limit wait in the
backlog instead of failing the broker, and are served once descriptors free up."""

import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import ACTORMQ, Sub, _started, free_port, main, pub, wait_for


class FdExhaustion(unittest.TestCase):
    def test_broker_recovers_after_running_out_of_descriptors(self):
        port = free_port()
        # 64 descriptors: the loops, eventfds and epoll take some; ~40 sockets fit.
        log = tempfile.NamedTemporaryFile(mode="w+", prefix="actormq-fd-")
        self.addCleanup(log.close)
        proc = subprocess.Popen(["prlimit", "--nofile=64:64", ACTORMQ, "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT)
        _started.append(proc)
        # Started once the log says so: every scheduler's listener is bound
        # then (none accepts before all are, see Listener::on_start).
        self.assertTrue(wait_for(lambda: "listening on" in open(log.name).read() or proc.poll() is not None, 10))
        self.assertIsNone(proc.poll(), open(log.name).read())
        idle = []
        try:
            for _ in range(80):  # more than fit: the rest stay in the kernel backlog
                idle.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            time.sleep(0.5)
            self.assertIsNone(proc.poll())  # still running
            for s in idle:
                s.close()
            idle.clear()
            time.sleep(0.5)  # the connect timeout is not needed: closed sockets end at once
            sub = Sub(port, "fd/t", count=1, timeout=5)
            pub(port, "fd/t", "back")
            self.assertEqual(sub.lines(), ["fd/t back"])
        finally:
            for s in idle:
                s.close()
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(10), 0)


if __name__ == "__main__":
    main()
