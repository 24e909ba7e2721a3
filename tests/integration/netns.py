"""Network namespaces for partition tests (root only).

Each node gets a namespace of its own with one address, 10.213.S.i, on a
veth pair whose other end is a port of a bridge in the test's own
namespace, where the bridge holds 10.213.S.254: the test's clients reach
every node directly, and the nodes reach each other through the bridge.
A partition is a pair of blackhole routes, one in each node's namespace:
packets between the two nodes vanish (no reset, no error, as when a
switch fails) while clients still reach both. Everything is named after
the test's process id, and removed by close()."""

import os
import subprocess


def _ip(*args, check=True):
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if check and r.returncode != 0:
        raise RuntimeError("ip %s: %s" % (" ".join(args), r.stderr.strip()))
    return r


def available():
    """None if namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "needs root"
    probe = "amq%dprobe" % (os.getpid() % 100000)
    r = _ip("netns", "add", probe, check=False)
    if r.returncode != 0:
        return "cannot create a network namespace: " + r.stderr.strip()
    _ip("netns", "del", probe, check=False)
    return None


class Network:
    def __init__(self, count):
        pid = os.getpid()
        self.tag = "amq%04x" % (pid & 0xFFFF)  # interface names stay under 16 bytes
        self.subnet = "10.213.%d" % (pid % 250 + 1)
        self.bridge = self.tag + "br"
        self.namespaces = []
        self.veths = []  # our ends
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", self.subnet + ".254/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for i in range(1, count + 1):
                ns, outer, inner = "%sn%d" % (self.tag, i), "%sv%d" % (self.tag, i), "%sp%d" % (self.tag, i)
                _ip("netns", "add", ns)
                self.namespaces.append(ns)
                _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
                self.veths.append(outer)
                _ip("link", "set", inner, "netns", ns)
                _ip("link", "set", outer, "master", self.bridge, "up")
                _ip("-n", ns, "addr", "add", "%s.%d/24" % (self.subnet, i), "dev", inner)
                _ip("-n", ns, "link", "set", inner, "up")
                _ip("-n", ns, "link", "set", "lo", "up")
        except Exception:
            self.close()
            raise

    def host(self, i):
        """Node i's address (1-based)."""
        return "%s.%d" % (self.subnet, i)

    def prefix(self, i):
        """The command prefix that runs a program in node i's namespace."""
        return ["ip", "netns", "exec", self.namespaces[i - 1]]

    def cut(self, a, b):
        """Nothing passes between nodes a and b any more, either way."""
        _ip("-n", self.namespaces[a - 1], "route", "add", "blackhole", self.host(b) + "/32")
        _ip("-n", self.namespaces[b - 1], "route", "add", "blackhole", self.host(a) + "/32")

    def heal(self, a, b):
        _ip("-n", self.namespaces[a - 1], "route", "del", "blackhole", self.host(b) + "/32", check=False)
        _ip("-n", self.namespaces[b - 1], "route", "del", "blackhole", self.host(a) + "/32", check=False)

    def close(self):
        # A pair goes with either end; a namespace may outlive its name for
        # a while (the kernel frees it later), so our ends go first.
        for veth in self.veths:
            _ip("link", "del", veth, check=False)
        self.veths = []
        for ns in self.namespaces:
            _ip("netns", "del", ns, check=False)
        self.namespaces = []
        _ip("link", "del", self.bridge, check=False)
