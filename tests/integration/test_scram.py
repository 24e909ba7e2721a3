"""MQTT 5 enhanced authentication with SCRAM-SHA-256 (RFC 5802/7677): a raw
client implements the client side with hashlib/hmac (paho-mqtt 1.6 cannot
answer AUTH packets). Success with the server signature in CONNACK, a bad
proof, an unknown user, an unknown method (0x8C), AUTH out of sequence and
other packets during the exchange."""

import base64
import hashlib
import hmac
import os
import signal
import time
import unittest

from auth_util import Files, auth_packet, parse_props, prop_bin, prop_str, scram_line
from harness import Broker, RawClient, Sub, connect_packet, main, publish_packet

METHOD = "SCRAM-SHA-256"


def connect_scram(client_first, client_id=b"scram", method=METHOD):
    props = prop_str(0x15, method) + prop_bin(0x16, client_first)
    return connect_packet(client_id, version=5, props=props)


class ScramClient:
    """The client side of one exchange (no channel binding)."""

    def __init__(self, user, password):
        self.password = password
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.first_bare = "n=%s,r=%s" % (user, self.nonce)

    def client_first(self):
        return "n,," + self.first_bare

    def client_final(self, server_first):
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        assert attrs["r"].startswith(self.nonce)
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), base64.b64decode(attrs["s"]),
                                     int(attrs["i"]), 32)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        without_proof = "c=biws,r=" + attrs["r"]
        auth_message = ",".join([self.first_bare, server_first, without_proof]).encode()
        signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self.expected_server_final = "v=" + base64.b64encode(
            hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode()
        return without_proof + ",p=" + base64.b64encode(proof).decode()


class Scram(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = Files()
        scram = cls.files.write("scram", "# SCRAM users\n" + scram_line("alice", "s3cret") + "\n" +
                                scram_line("bob", "b0b") + "\n")
        acl = cls.files.write("acl", "user alice\ntopic readwrite alice/#\n")
        cls.broker = Broker({"scram_file": scram, "acl_file": acl, "allow_anonymous": False})
        cls.port = cls.broker.port

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.files.cleanup()

    def start(self, user, password, client_id=b"scram"):
        c = RawClient(self.port)
        sc = ScramClient(user, password)
        c.send(connect_scram(sc.client_first(), client_id))
        pk = c.recv_packet()
        self.assertIsNotNone(pk)
        self.assertEqual(pk[0], 0xF0)  # AUTH
        self.assertEqual(pk[1][0], 0x18)  # continue authentication
        props, _ = parse_props(pk[1], 1)
        self.assertEqual(props[0x15], METHOD.encode())
        return c, sc, props[0x16].decode()

    def test_exchange_succeeds_and_proves_the_server(self):
        c, sc, server_first = self.start("alice", "s3cret")
        c.send(auth_packet(0x18, METHOD, sc.client_final(server_first)))
        pk = c.recv_packet()
        self.assertEqual(pk[0], 0x20)
        self.assertEqual(pk[1][1], 0)  # CONNACK success
        props, _ = parse_props(pk[1], 2)
        self.assertEqual(props[0x15], METHOD.encode())
        self.assertEqual(props[0x16].decode(), sc.expected_server_final)
        # The SCRAM user is the username: alice's ACL section applies.
        s = Sub(self.port, "alice/#", count=1, timeout=4, version="5")  # anonymous: refused, gets nothing
        c.send(publish_packet("alice/x", "hello", qos=1, packet_id=5, version=5))
        self.assertEqual(c.recv_packet(), (0x40, b"\x00\x05"))
        c.send(publish_packet("bob/x", "nope", qos=1, packet_id=6, version=5))
        self.assertEqual(c.recv_packet(), (0x40, b"\x00\x06\x87"))
        self.assertEqual(s.lines(), [])
        c.close()

    def connected(self, user="alice", password="s3cret", client_id=b"scram"):
        c, sc, server_first = self.start(user, password, client_id)
        c.send(auth_packet(0x18, METHOD, sc.client_final(server_first)))
        self.assertEqual(c.recv_packet()[1][1], 0)
        return c

    def reauth(self, c, user, password):
        """Re-authentication (MQTT 5 4.12.1); returns the server's last packet."""
        sc = ScramClient(user, password)
        c.send(auth_packet(0x19, METHOD, sc.client_first()))
        pk = c.recv_packet()
        self.assertEqual(pk[0], 0xF0)
        self.assertEqual(pk[1][0], 0x18)
        props, _ = parse_props(pk[1], 1)
        c.send(auth_packet(0x18, METHOD, sc.client_final(props[0x16].decode())))
        return c.recv_packet(), sc

    def test_reauthentication(self):
        c = self.connected(client_id=b"re1")
        pk, sc = self.reauth(c, "alice", "s3cret")
        self.assertEqual(pk[0], 0xF0)
        self.assertEqual(pk[1][0], 0x00)  # AUTH success
        props, _ = parse_props(pk[1], 1)
        self.assertEqual(props[0x16].decode(), sc.expected_server_final)
        # Still connected and working.
        c.send(publish_packet("alice/re", "x", qos=1, packet_id=9, version=5))
        self.assertEqual(c.recv_packet(), (0x40, b"\x00\x09"))
        # A wrong password on re-authentication: DISCONNECT 0x87, closed.
        pk, _ = self.reauth(c, "alice", "wrong")
        self.assertEqual(pk[0], 0xE0)
        self.assertEqual(pk[1][0], 0x87)
        self.assertTrue(c.recv_all()[1])
        c.close()
        # Re-authentication as another (valid) user: refused.
        c = self.connected(client_id=b"re3")
        pk, _ = self.reauth(c, "bob", "b0b")
        self.assertEqual((pk[0], pk[1][0]), (0xE0, 0x87))
        c.close()
        # AUTH 0x18 with no re-authentication started: protocol error.
        c = self.connected(client_id=b"re2")
        c.send(auth_packet(0x18, METHOD, "c=biws,r=x,p=AAAA"))
        pk = c.recv_packet()
        self.assertEqual((pk[0], pk[1][0]), (0xE0, 0x82))
        c.close()

    def test_bad_proof_and_unknown_user_are_not_authorized(self):
        for user, password in (("alice", "wrong"), ("mallory", "s3cret")):
            c, sc, server_first = self.start(user, password)
            c.send(auth_packet(0x18, METHOD, sc.client_final(server_first)))
            pk = c.recv_packet()
            self.assertEqual(pk[0], 0x20)
            self.assertEqual(pk[1][1], 0x87)
            self.assertTrue(c.recv_all()[1])
            c.close()
        # A tampered proof.
        c, sc, server_first = self.start("alice", "s3cret")
        final = sc.client_final(server_first)
        proof = bytearray(base64.b64decode(final.split(",p=")[1]))
        proof[0] ^= 1
        c.send(auth_packet(0x18, METHOD, final.split(",p=")[0] + ",p=" + base64.b64encode(proof).decode()))
        self.assertEqual(c.recv_packet()[1][1], 0x87)
        c.close()
        self.assertIn("SCRAM: invalid proof", self.broker.output())

    def test_unknown_method_gets_0x8c(self):
        c = RawClient(self.port)
        c.send(connect_scram("whatever", method="KERBEROS"))
        pk = c.recv_packet()
        self.assertEqual(pk[0], 0x20)
        self.assertEqual(pk[1][1], 0x8C)
        self.assertTrue(c.recv_all()[1])
        c.close()

    def test_malformed_client_first_is_refused(self):
        c = RawClient(self.port)
        c.send(connect_scram("p=tls-unique,,n=alice,r=abc"))
        self.assertEqual(c.recv_packet()[1][1], 0x87)
        self.assertTrue(c.recv_all()[1])
        c.close()

    def test_auth_out_of_sequence(self):
        # AUTH as the first packet: protocol error, closed.
        c = RawClient(self.port)
        c.send(auth_packet(0x18, METHOD, "c=biws,r=x,p=AAAA"))
        data, closed = c.recv_all()
        self.assertTrue(closed)
        self.assertNotIn(0xF0, [b for b in data[:1]])
        c.close()
        # AUTH after a CONNECT that used no method: DISCONNECT 0x82.
        files_pw = self.files.passwd("pw", [("u", "p")])
        with Broker({"password_file": files_pw}) as b:
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"plain", version=5)[1][1], 0)
            c.send(auth_packet(0x19, METHOD, "n,,n=u,r=abc"))
            pk = c.recv_packet()
            self.assertEqual(pk[0], 0xE0)
            self.assertEqual(pk[1][0], 0x82)
            self.assertTrue(c.recv_all()[1])
            c.close()
        # Another packet in the middle of the exchange: CONNACK 0x82.
        c, sc, server_first = self.start("alice", "s3cret")
        c.send(publish_packet("alice/x", "early", version=5))
        pk = c.recv_packet()
        self.assertEqual(pk[0], 0x20)
        self.assertEqual(pk[1][1], 0x82)
        self.assertTrue(c.recv_all()[1])
        c.close()
        # An AUTH that changes the method.
        c, sc, server_first = self.start("alice", "s3cret")
        c.send(auth_packet(0x18, "SCRAM-SHA-1", sc.client_final(server_first)))
        self.assertEqual(c.recv_packet()[1][1], 0x82)
        c.close()

    def test_sighup_reloads_scram_users(self):
        path = self.files.write("scram2", scram_line("alice", "one") + "\n")
        with Broker({"scram_file": path}) as b:
            def attempt(user, password):
                c = RawClient(b.port)
                sc = ScramClient(user, password)
                c.send(connect_scram(sc.client_first()))
                pk = c.recv_packet()
                self.assertEqual(pk[0], 0xF0)
                props, _ = parse_props(pk[1], 1)
                c.send(auth_packet(0x18, METHOD, sc.client_final(props[0x16].decode())))
                code = c.recv_packet()[1][1]
                c.close()
                return code
            self.assertEqual(attempt("alice", "one"), 0)
            self.assertEqual(attempt("bob", "two"), 0x87)
            self.files.write("scram2", scram_line("alice", "one") + "\n" + scram_line("bob", "two") + "\n")
            b.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 5
            while "reloaded" not in b.output() and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(attempt("bob", "two"), 0)
            self.assertEqual(attempt("alice", "one"), 0)

    def test_without_scram_file_the_method_is_unknown(self):
        with Broker({}) as b:
            c = RawClient(b.port)
            c.send(connect_scram(ScramClient("alice", "x").client_first()))
            self.assertEqual(c.recv_packet()[1][1], 0x8C)
            c.close()


if __name__ == "__main__":
    main()
