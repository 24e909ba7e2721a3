"""A session belongs to the user that made it. A CONNECT with its client id
by another user (or anonymous for a user's session, and the reverse) does
not resume it: CONNACK session present 0, a fresh session, and the old one
is discarded with its stored copy. The same user (anonymous included, and
after a restart from the store) resumes as before. Read access is checked
again on every delivery path, in-flight resends included."""

import os
import signal
import time
import unittest

from auth_util import Files
from harness import (Broker, RawClient, connect_packet, main, publish_packet, session_expiry_prop,
                     subscribe_packet)


def connect_as(user, client_id, version=4, clean=False, expiry=None):
    """A CONNECT (clean session 0 by default) as `user` (password = user), or anonymous."""
    props = b"" if expiry is None else session_expiry_prop(expiry)
    return connect_packet(client_id, version, clean, props=props,
                          username=user or None, password=user or None)


ACL = """\
topic readwrite anon/#
user alice
topic readwrite a/#
user bob
topic readwrite a/#
"""


class Owner(unittest.TestCase):
    def setUp(self):
        self.files = Files()
        self.pw = self.files.passwd("pw", [("alice", "alice"), ("bob", "bob")])
        self.acl = self.files.write("acl", ACL)
        self.data = os.path.join(self.files.dir.name, "data")
        self.config = {"password_file": self.pw, "acl_file": self.acl, "allow_anonymous": True,
                       "data_dir": self.data, "sys_interval": 0}
        self.broker = Broker(self.config)
        self.port = self.broker.port
        self.open = []

    def tearDown(self):
        for c in self.open:
            c.close()
        self.broker.stop()
        self.files.cleanup()

    def restart(self):
        self.broker.stop()
        self.broker = Broker(self.config, port=self.port)

    def client(self, user, client_id, version=4, clean=False, expiry=None):
        """Connects; returns (client, session present)."""
        c = RawClient(self.port)
        self.open.append(c)
        c.send(connect_as(user, client_id, version, clean, expiry))
        ack = c.recv_packet()
        self.assertIsNotNone(ack, self.broker.output())
        self.assertEqual(ack[0], 0x20)
        self.assertEqual(ack[1][1], 0, "CONNACK refused")
        return c, bool(ack[1][0] & 1)

    def publish(self, user, topic, payload):
        """A QoS 1 publish, acknowledged, from a connection of its own."""
        c, _ = self.client(user, b"pub-" + payload, clean=True)
        c.send(publish_packet(topic, payload, qos=1, packet_id=1))
        self.assertEqual(c.recv_packet()[0], 0x40)
        c.send(b"\xe0\x00")
        c.close()

    def leave_session(self, user, prefix):
        """`user`'s persistent session on client id dev1, subscribed to
        prefix/#, with one message in flight (never acknowledged) and one
        queued while the client is away."""
        c, _ = self.client(user, b"dev1")
        c.send(subscribe_packet([(prefix + "/#", 1)]))
        self.assertEqual(c.recv_packet()[0], 0x90)
        self.publish(user, prefix + "/inflight", b"one")
        pk = c.recv_packet()
        self.assertIsNotNone(pk)
        self.assertEqual(pk[0] & 0xF0, 0x30)
        c.close()  # without PUBACK or DISCONNECT
        time.sleep(0.2)  # the broker sees the connection end
        self.publish(user, prefix + "/queued", b"two")

    @staticmethod
    def publishes(c, timeout=1.0):
        out = []
        while True:
            pk = c.recv_packet(timeout)
            if pk is None:
                return out
            if pk[0] & 0xF0 == 0x30:
                n = int.from_bytes(pk[1][:2], "big")
                out.append(pk[1][2:2 + n].decode())

    def test_another_user_gets_a_fresh_session(self):
        self.leave_session("alice", "a")
        c, present = self.client("bob", b"dev1")
        self.assertFalse(present)
        self.assertEqual(self.publishes(c), [])  # neither alice's in-flight nor her queued message
        # Nor did bob get her subscription.
        self.publish("alice", "a/after", b"three")
        self.assertEqual(self.publishes(c), [])
        c.send(b"\xe0\x00")
        c.close()
        # bob's session is now the one on dev1: alice does not get it either.
        c, present = self.client("alice", b"dev1")
        self.assertFalse(present)
        self.assertEqual(self.publishes(c), [])

    def test_anonymous_does_not_resume_a_users_session(self):
        self.leave_session("alice", "a")
        c, present = self.client(None, b"dev1")
        self.assertFalse(present)
        self.assertEqual(self.publishes(c), [])

    def test_user_does_not_resume_an_anonymous_session(self):
        self.leave_session(None, "anon")
        c, present = self.client("alice", b"dev1")
        self.assertFalse(present)
        self.assertEqual(self.publishes(c), [])

    def test_the_same_user_resumes(self):
        self.leave_session("alice", "a")
        c, present = self.client("alice", b"dev1")
        self.assertTrue(present)
        self.assertEqual(self.publishes(c), ["a/inflight", "a/queued"])

    def test_anonymous_resumes_an_anonymous_session(self):
        self.leave_session(None, "anon")
        c, present = self.client(None, b"dev1")
        self.assertTrue(present)
        self.assertEqual(self.publishes(c), ["anon/inflight", "anon/queued"])

    def test_the_same_user_resumes_after_a_restart(self):
        self.leave_session("alice", "a")
        time.sleep(0.3)  # committed (batch: within 50 ms)
        self.restart()
        c, present = self.client("alice", b"dev1")
        self.assertTrue(present)
        self.assertEqual(self.publishes(c), ["a/inflight", "a/queued"])

    def test_another_user_after_a_restart_discards_the_stored_session(self):
        self.leave_session("alice", "a")
        time.sleep(0.3)
        self.restart()
        # bob, v5, clean start 0 but no session expiry: his session ends with
        # his connection, and alice's must not outlive it in the store.
        c, present = self.client("bob", b"dev1", version=5, expiry=0)
        self.assertFalse(present)
        self.assertEqual(self.publishes(c), [])
        c.send(b"\xe0\x00")
        c.close()
        time.sleep(0.3)
        self.restart()
        c, present = self.client("alice", b"dev1")
        self.assertFalse(present)
        self.assertEqual(self.publishes(c), [])


class ResendChecksReadAccess(unittest.TestCase):
    """An in-flight message is resent only if the client may still read it
    (here the ACL was reloaded while the client was away)."""

    def test_inflight_not_resent_after_read_access_is_revoked(self):
        files = Files()
        pw = files.passwd("pw", [("alice", "alice")])
        acl = files.write("acl", "user alice\ntopic readwrite a/#\n")
        broker = Broker({"password_file": pw, "acl_file": acl, "sys_interval": 0})
        try:
            c = RawClient(broker.port)
            c.send(connect_as("alice", b"dev1"))
            self.assertEqual(c.recv_packet()[0], 0x20)
            c.send(subscribe_packet([("a/#", 1)]))
            self.assertEqual(c.recv_packet()[0], 0x90)
            p = RawClient(broker.port)
            p.send(connect_as("alice", b"pub", clean=True))
            self.assertEqual(p.recv_packet()[0], 0x20)
            p.send(publish_packet("a/secret", b"s", qos=1, packet_id=1))
            self.assertEqual(p.recv_packet()[0], 0x40)
            self.assertEqual(c.recv_packet()[0] & 0xF0, 0x30)  # in flight: never acknowledged
            c.close()
            files.write("acl", "user alice\ntopic readwrite a/#\ntopic deny a/secret\n")
            broker.proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            c = RawClient(broker.port)
            c.send(connect_as("alice", b"dev1"))
            ack = c.recv_packet()
            self.assertEqual(ack[1][0] & 1, 1)  # resumed
            self.assertEqual(Owner.publishes(c), [])
            c.close()
            p.close()
        finally:
            broker.stop()
            files.cleanup()


if __name__ == "__main__":
    main()
