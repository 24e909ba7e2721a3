"""A persistent session keeps its username across a restart: after kill -9 the
restored session's will is checked against its user's ACL rules, not those of
an anonymous client. alice may write her will topic and her will arrives; an
anonymous client's will on the same topic is denied."""

import os
import shutil
import signal
import tempfile
import threading
import time
import unittest

import paho.mqtt.client as mqtt

from harness import Broker, main, wait_for
from paho_util import props, PacketTypes

ACL = """\
# anonymous clients: nothing
user alice
topic write will/alice
user watcher
topic read will/#
"""


class Watcher:
    """A persistent 3.1.1 subscriber to will/# (clean session 0), user watcher."""

    def __init__(self, port, subscribe=False):
        self.got = []
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.c = mqtt.Client(client_id="watcher", clean_session=False, protocol=mqtt.MQTTv311)
        self.c.username_pw_set("watcher")
        self.c.on_message = self.on_message
        self.c.on_subscribe = lambda *a: self.subscribed.set()
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        if subscribe:
            self.c.subscribe("will/#", 1)
            assert self.subscribed.wait(5), "no SUBACK"

    def on_message(self, c, u, m):
        with self.lock:
            self.got.append((m.topic, bytes(m.payload)))

    def messages(self):
        with self.lock:
            return list(self.got)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def client_with_will(port, cid, username, payload):
    c = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv5)
    if username:
        c.username_pw_set(username)
    c.will_set("will/alice", payload, qos=1)
    c.connect("127.0.0.1", port, clean_start=False,
              properties=props(PacketTypes.CONNECT, SessionExpiryInterval=300))
    c.loop_start()
    return c


class RestoredUser(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="actormq-user-")
        self.acl = os.path.join(self.tmp, "acl")
        with open(self.acl, "w") as f:
            f.write(ACL)
        self.config = {"data_dir": os.path.join(self.tmp, "data"), "acl_file": self.acl, "sys_interval": 0}
        self.broker = None
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.loop_stop()
        if self.broker is not None:
            self.broker.stop(signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_will_of_a_restored_session_is_checked_as_its_user(self):
        self.broker = Broker(self.config)
        port = self.broker.port
        Watcher(port, subscribe=True).close()
        self.clients.append(client_with_will(port, "alice-dev", "alice", b"alice gone"))
        self.clients.append(client_with_will(port, "anon-dev", None, b"anonymous gone"))
        time.sleep(0.5)  # connected, session records committed (batch: within 50 ms)
        self.broker.stop(signal.SIGKILL)
        for c in self.clients:
            c.loop_stop()
        self.clients = []

        # Both sessions come back with the broker; their clients are gone, so
        # their wills go out at once (no will delay).
        self.broker = Broker(self.config, port=port)
        watcher = Watcher(port)
        wait_for(lambda: watcher.messages(), 5)
        time.sleep(0.5)  # anything else that would arrive
        got = watcher.messages()
        watcher.close()
        self.assertEqual(got, [("will/alice", b"alice gone")], self.broker.output())
        self.assertIn("client anon-dev: will on will/alice denied by the ACL", self.broker.output())


if __name__ == "__main__":
    main()
