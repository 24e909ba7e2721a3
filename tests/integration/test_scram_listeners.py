"""SCRAM users per listener: a listener's authentication is what its keys
say. A listener that sets its own password_file or allow_anonymous (or takes
the username from the client certificate) does not inherit the top-level
scram_file: SCRAM there needs a scram_file of its own. A listener that sets
none of them inherits it, and `"scram_file": ""` turns SCRAM off."""

import signal
import time
import unittest

import test_scram
from auth_util import Files, auth_packet, scram_line
from harness import Broker, RawClient, free_port, main

METHOD = test_scram.METHOD


def scram_connack(port, user, password, client_id=b"scram"):
    """Runs a SCRAM exchange on `port`; the CONNACK reason code."""
    c = RawClient(port)
    try:
        sc = test_scram.ScramClient(user, password)
        c.send(test_scram.connect_scram(sc.client_first(), client_id))
        pk = c.recv_packet()
        assert pk is not None, "no answer to CONNECT"
        if pk[0] == 0x20:
            return pk[1][1]  # refused at CONNECT
        assert pk[0] == 0xF0 and pk[1][0] == 0x18, pk
        props, _ = test_scram.parse_props(pk[1], 1)
        c.send(auth_packet(0x18, METHOD, sc.client_final(props[0x16].decode())))
        pk = c.recv_packet()
        assert pk is not None and pk[0] == 0x20, pk
        return pk[1][1]
    finally:
        c.close()


class Inheritance(unittest.TestCase):
    """Top-level scram_file (alice); listeners with their own authentication."""

    @classmethod
    def setUpClass(cls):
        cls.files = Files()
        scram = cls.files.write("scram", scram_line("alice", "s3cret") + "\n")
        pw = cls.files.passwd("pw", [("carol", "c")])
        cls.own_passwords, cls.no_anonymous = free_port(), free_port()
        cls.broker = Broker({
            "scram_file": scram,
            "allow_anonymous": True,
            "listeners": [
                {"type": "tcp", "bind": "127.0.0.1", "port": 1883},  # --port replaces it
                {"type": "tcp", "bind": "127.0.0.1", "port": cls.own_passwords, "password_file": pw},
                {"type": "tcp", "bind": "127.0.0.1", "port": cls.no_anonymous, "allow_anonymous": False},
            ]})

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.files.cleanup()

    def test_listener_without_own_authentication_inherits(self):
        self.assertEqual(scram_connack(self.broker.port, "alice", "s3cret"), 0x00)

    def test_own_password_file_admits_no_top_level_scram_user(self):
        self.assertEqual(scram_connack(self.own_passwords, "alice", "s3cret"), 0x8C)  # bad authentication method

    def test_own_allow_anonymous_admits_no_top_level_scram_user(self):
        self.assertEqual(scram_connack(self.no_anonymous, "alice", "s3cret"), 0x8C)


class PerListenerFile(unittest.TestCase):
    """scram_file set on listeners: its own users only, or none with ""."""

    @classmethod
    def setUpClass(cls):
        cls.files = Files()
        top = cls.files.write("scram", scram_line("alice", "s3cret") + "\n")
        own = cls.files.write("scram-own", scram_line("dave", "d4ve") + "\n")
        pw = cls.files.passwd("pw", [("carol", "c")])
        cls.own, cls.off = free_port(), free_port()
        cls.broker = Broker({
            "scram_file": top,
            "listeners": [
                {"type": "tcp", "bind": "127.0.0.1", "port": 1883},
                {"type": "tcp", "bind": "127.0.0.1", "port": cls.own, "password_file": pw, "scram_file": own},
                {"type": "tcp", "bind": "127.0.0.1", "port": cls.off, "scram_file": ""},
            ]})

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.files.cleanup()

    def test_own_scram_file(self):
        self.assertEqual(scram_connack(self.own, "dave", "d4ve"), 0x00)
        self.assertEqual(scram_connack(self.own, "alice", "s3cret"), 0x87)  # not one of its users
        self.assertEqual(scram_connack(self.broker.port, "dave", "d4ve"), 0x87)
        self.assertEqual(scram_connack(self.broker.port, "alice", "s3cret"), 0x00)

    def test_empty_scram_file_turns_scram_off(self):
        self.assertEqual(scram_connack(self.off, "alice", "s3cret"), 0x8C)

    def test_sighup_reloads_a_listener_scram_file(self):
        self.files.write("scram-own", scram_line("dave", "d4ve") + "\n" + scram_line("erin", "e") + "\n")
        self.broker.proc.send_signal(signal.SIGHUP)
        ok = False
        for _ in range(50):
            if scram_connack(self.own, "erin", "e") == 0x00:
                ok = True
                break
            time.sleep(0.1)
        self.assertTrue(ok, self.broker.output())


if __name__ == "__main__":
    main()
