"""TLS listeners (mbedTLS): mosquitto clients over TLS with ECDSA P-256 and
RSA 2048 certificates, client certificates (require_certificate,
use_identity_as_username), cipher suites, TLS 1.2 minimum, session
resumption by ticket and by session id, and bad input: expired, foreign and
tampered client certificates, plain MQTT on a TLS port and TLS on a plain
port, a handshake left unfinished. Only the offending connection is closed."""

import json
import os
import socket
import ssl
import tempfile
import time
import unittest

import tls_util
from harness import (ACTORMQ, Broker, RawClient, Sub, connect_packet, free_port, main, pub, run, wait_for, wait_port)

PKI = {}


def setUpModule():
    PKI["ec"] = tls_util.Pki("ec")
    PKI["rsa"] = tls_util.Pki("rsa")


def tearDownModule():
    tls_util.cleanup()


def tls_broker(config, port, **kwargs):
    """The broker once its TLS listener (after the harness's tcp one) accepts."""
    b = Broker(config, **kwargs)
    if not wait_port(port):
        b.stop()
        raise RuntimeError("TLS listener did not open:\n" + b.output())
    return b


def tls_connect(port, ctx, session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ctx.wrap_socket(raw, server_hostname="localhost", session=session)


def mqtt_connect(s, client_id=b"py"):
    s.sendall(connect_packet(client_id))
    data = s.recv(4)
    return data[:1] == b"\x20" and data[3:4] == b"\x00"


class TlsPubSub(unittest.TestCase):
    def check_pubsub(self, algo):
        pki = PKI[algo]
        tp = free_port()
        with tls_broker({"listeners": [pki.listener(tp)]}, tp) as b:
            sub = Sub(tp, "t/#", *pki.client_args(), count=2, timeout=6)
            r = run(["mosquitto_pub", "-p", str(tp), "-t", "t/tls", "-m", "over-" + algo] + pki.client_args())
            self.assertEqual(r.returncode, 0, r.stderr)
            pub(b.port, "t/plain", "from-tcp")  # plain and TLS clients share the broker
            self.assertEqual(sub.lines(), ["t/tls over-" + algo, "t/plain from-tcp"])
            self.assertIn("(tls)", b.output())

    def test_ecdsa_p256(self):
        self.check_pubsub("ec")

    def test_rsa_2048(self):
        self.check_pubsub("rsa")

    def test_client_certificate_optional_and_v5(self):
        pki = PKI["ec"]
        tp = free_port()
        with tls_broker({"listeners": [pki.listener(tp, cafile=pki.path("ca.crt"))]}, tp) as b:
            sub = Sub(tp, "c/#", *pki.client_args("client"), count=1, timeout=6, version="5")
            r = run(["mosquitto_pub", "-p", str(tp), "-V", "5", "-t", "c/1", "-m", "x"] + pki.client_args())
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sub.lines(), ["c/1 x"])
            self.assertTrue(b.alive())


class ClientCertificates(unittest.TestCase):
    def test_require_certificate(self):
        pki = PKI["rsa"]
        tp = free_port()
        cfg = {"listeners": [pki.listener(tp, cafile=pki.path("ca.crt"), require_certificate=True)]}
        with tls_broker(cfg, tp) as b:
            no_cert = run(["mosquitto_pub", "-p", str(tp), "-t", "r/1", "-m", "x"] + pki.client_args())
            self.assertNotEqual(no_cert.returncode, 0)
            self.assertTrue(wait_for(lambda: "no client certificate" in b.output()), b.output())
            sub = Sub(tp, "r/#", *pki.client_args("client"), count=1, timeout=6)
            ok = run(["mosquitto_pub", "-p", str(tp), "-t", "r/2", "-m", "y"] + pki.client_args("client"))
            self.assertEqual(ok.returncode, 0, ok.stderr)
            self.assertEqual(sub.lines(), ["r/2 y"])

    def test_use_identity_as_username(self):
        pki = PKI["ec"]
        tp = free_port()
        cfg = {"allow_anonymous": False,
               "listeners": [pki.listener(tp, cafile=pki.path("ca.crt"), require_certificate=True,
                                          use_identity_as_username=True)]}
        with tls_broker(cfg, tp, args=["-v"]) as b:
            # No username sent: the certificate's CN stands in, so the
            # anonymous rule lets it in; a username sent is replaced.
            r = run(["mosquitto_pub", "-p", str(tp), "-i", "idc", "-t", "u/1", "-m", "x"]
                    + pki.client_args("client"))
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run(["mosquitto_pub", "-p", str(tp), "-i", "idd", "-u", "mallory", "-t", "u/1", "-m", "x"]
                    + pki.client_args("client"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(wait_for(lambda: "client idd connected (user device-7" in b.output()), b.output())
            self.assertIn("client idc connected (user device-7", b.output())
            self.assertNotIn("mallory", b.output())
            # The plain listener of the same broker still refuses anonymous clients.
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"anon")[:2], (0x20, b"\x00\x05"))

    def refused(self, algo, cert, expect):
        pki = PKI[algo]
        tp = free_port()
        cfg = {"listeners": [pki.listener(tp, cafile=pki.path("ca.crt"), require_certificate=True)]}
        with tls_broker(cfg, tp) as b:
            sub = Sub(tp, "k/#", *pki.client_args("client"), count=1, timeout=6)
            r = run(["mosquitto_pub", "-p", str(tp), "-t", "k/bad", "-m", "bad"] + pki.client_args(cert))
            self.assertNotEqual(r.returncode, 0)
            self.assertTrue(wait_for(lambda: expect in b.output()), b.output())
            pub(b.port, "k/good", "good")
            self.assertEqual(sub.lines(), ["k/good good"], b.output())  # the good client never noticed
            self.assertTrue(b.alive())

    def test_expired_certificate(self):
        self.refused("ec", "expired", "certificate validity has expired; closing")

    def test_certificate_from_another_ca(self):
        self.refused("rsa", "foreign", "not correctly signed by the trusted CA")

    def test_tampered_certificate(self):
        self.refused("ec", "tampered", "client certificate not accepted")


class Protocol(unittest.TestCase):
    def test_ciphers_and_versions(self):
        pki = PKI["ec"]
        tp = free_port()
        suite = "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384"
        with tls_broker({"listeners": [pki.listener(tp, ciphers=suite)]}, tp) as b:
            s = tls_connect(tp, pki.context())
            self.assertEqual(s.cipher()[0], "ECDHE-ECDSA-AES256-GCM-SHA384")
            self.assertEqual(s.version(), "TLSv1.2")
            self.assertTrue(mqtt_connect(s))
            s.close()
            ctx = pki.context()
            ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")  # not in the listener's list
            with self.assertRaises(ssl.SSLError):
                tls_connect(tp, ctx)
            old = pki.context()
            old.set_ciphers("DEFAULT:@SECLEVEL=0")
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
            with self.assertRaises(ssl.SSLError):  # below TLS 1.2
                tls_connect(tp, old)
            self.assertTrue(b.alive())

    def test_unknown_cipher_refuses_start(self):
        # Run to its exit, not probed by port: another test may hold that port.
        pki = PKI["ec"]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "config.json")
            with open(path, "w") as f:
                json.dump({"listeners": [pki.listener(free_port(), ciphers="TLS-NO-SUCH-SUITE")]}, f)
            r = run([ACTORMQ, "--config", path, "--data-dir", "none"], timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ciphers: unknown cipher suite TLS-NO-SUCH-SUITE", r.stdout + r.stderr)

    def test_session_resumption(self):
        pki = PKI["rsa"]
        tp = free_port()
        with tls_broker({"listeners": [pki.listener(tp)]}, tp):
            for tickets in (True, False):
                ctx = pki.context()
                if not tickets:
                    ctx.options |= ssl.OP_NO_TICKET  # session id and the server's cache
                first = tls_connect(tp, ctx)
                self.assertTrue(mqtt_connect(first, b"res1"))
                session = first.session
                first.close()
                again = tls_connect(tp, ctx, session=session)
                self.assertTrue(again.session_reused, "tickets" if tickets else "cache")
                self.assertTrue(mqtt_connect(again, b"res2"))
                again.close()


class BadInput(unittest.TestCase):
    def test_plain_mqtt_on_tls_port(self):
        pki = PKI["ec"]
        tp = free_port()
        with tls_broker({"listeners": [pki.listener(tp)]}, tp) as b:
            sub = Sub(tp, "b/#", *pki.client_args(), count=1, timeout=6)
            c = RawClient(tp)
            c.send(connect_packet(b"plain"))
            data, closed = c.recv_all()
            self.assertTrue(closed)
            self.assertNotIn(b"\x20\x02", data)  # no CONNACK
            self.assertTrue(wait_for(lambda: "not a TLS client?" in b.output()), b.output())
            pub(b.port, "b/ok", "ok")
            self.assertEqual(sub.lines(), ["b/ok ok"])

    def test_tls_on_plain_port(self):
        pki = PKI["ec"]
        with Broker() as b:
            with self.assertRaises((ssl.SSLError, OSError)):
                tls_connect(b.port, pki.context())
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"after")[0], 0x20)
            self.assertTrue(b.alive())

    def test_unfinished_handshake_times_out(self):
        pki = PKI["ec"]
        tp = free_port()
        with tls_broker({"connect_timeout_ms": 400, "listeners": [pki.listener(tp)]}, tp) as b:
            silent = RawClient(tp)
            half = RawClient(tp)
            half.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a ClientHello's first bytes
            start = time.time()
            for c in (silent, half):
                data, closed = c.recv_all(timeout=4)
                self.assertTrue(closed)
                self.assertEqual(data, b"")
            self.assertLess(time.time() - start, 4)
            self.assertTrue(wait_for(lambda: b.output().count("did not finish its handshake in time") == 2),
                            b.output())
            s = tls_connect(tp, pki.context())
            self.assertTrue(mqtt_connect(s))
            s.close()


if __name__ == "__main__":
    main()
