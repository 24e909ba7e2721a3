"""Helpers of the bridge tests: Debian's mosquitto as the remote broker on a
free loopback port with a generated config (stopped, killed or restarted on
the same port by the test, and always cleaned up), bridge config objects,
and paho clients that wait for what they expect."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import paho.mqtt.client as mqtt

from harness import _started, free_port, wait_for, wait_port
from paho_util import V5Client

STATE = "$SYS/broker/connection/%s/state"


class Mosquitto:
    """mosquitto -c <generated config>: one listener on 127.0.0.1:port
    (TLS with `tls`: a dict of cafile, certfile, keyfile), anonymous
    clients allowed, persistence in its own directory when asked."""

    def __init__(self, port=None, tls=None, persistence=False, extra=()):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="actormq-mosq-")
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        lines = ["listener %d 127.0.0.1" % self.port, "allow_anonymous true",
                 "log_dest file %s" % os.path.join(self.dir, "mosquitto.log"),
                 "log_type all"]
        if os.geteuid() == 0:
            # As root, mosquitto would become user "mosquitto", who may not
            # write this directory (its log, its persistence) or read the PKI.
            lines.append("user root")
        if tls:
            lines += ["%s %s" % (k, v) for k, v in tls.items()]
        if persistence:
            lines += ["persistence true", "persistence_location %s/" % self.dir, "autosave_interval 1"]
        lines += list(extra)
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        _started.append(self.proc)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("mosquitto did not start:\n" + self.output())

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self):
        try:
            with open(os.path.join(self.dir, "mosquitto.log")) as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def bridge(name, port, topics, **extra):
    """A bridge object to 127.0.0.1:port, reconnecting fast for tests."""
    b = {"name": name, "address": "127.0.0.1:%d" % port, "keepalive": 5,
         "restart_timeout_ms": {"base": 100, "cap": 1000}, "topics": topics}
    b.update(extra)
    return b


def topic(pattern, direction, qos=0, local_prefix="", remote_prefix=""):
    return {"pattern": pattern, "direction": direction, "qos": qos,
            "local_prefix": local_prefix, "remote_prefix": remote_prefix}


def client(port, cid="", version=5, clean=True):
    """A paho client (MQTT 5, or 3.1.1 with version=4) on 127.0.0.1:port."""
    return V5Client(port, cid=cid, clean_start=clean,
                    version=mqtt.MQTTv5 if version == 5 else mqtt.MQTTv311)


def state_is(port, name, value, timeout=10):
    """True once the retained state notification of bridge `name` on the
    broker at `port` reads `value` ("1" or "0")."""
    def check():
        c = client(port)
        try:
            c.subscribe(STATE % name, qos=1)
            msgs = c.wait_msgs(1, timeout=0.5)
            return bool(msgs) and msgs[-1].payload == value.encode() and msgs[-1].retain
        finally:
            c.close()
    return wait_for(check, timeout)


def messages(c, n, timeout=10, settle=0.5):
    """The messages `c` got once it has n (or timeout), after `settle`
    seconds more in which any extra (a loop, a duplicate) would arrive."""
    c.wait_msgs(n, timeout)
    return c.quiet(settle)


def payloads(msgs):
    return [(m.topic, m.payload.decode(), m.qos) for m in msgs]
