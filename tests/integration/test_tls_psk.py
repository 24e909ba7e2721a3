"""TLS with pre-shared keys (psk_hint, psk_file in mosquitto's format) for
devices without certificates, mosquitto_pub/sub --psk as the clients: a
PSK-only listener and one that serves certificates too, a wrong key and an
unknown identity refused while other clients go on, use_identity_as_username
with the PSK identity, a malformed psk_file stopping the start at its line,
the file read again on SIGHUP. And an encrypted keyfile opened with
keyfile_password or ACTORMQ_KEYFILE_PASSWORD."""

import os
import signal
import subprocess
import tempfile
import time
import unittest

import tls_util
from harness import Sub, connect_packet, free_port, main, run, wait_for
from test_tls import mqtt_connect, tls_broker, tls_connect
from test_tls_fleet import refused_start

PKI = {}
KEY1 = "00112233445566778899aabbccddeeff"
KEY2 = "0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4e5f60718293a4b5c6d7e8f90"


def setUpModule():
    PKI["ec"] = tls_util.Pki("ec")


def tearDownModule():
    tls_util.cleanup()


def psk_file(text):
    pki = PKI["ec"]
    fd, path = tempfile.mkstemp(prefix="psk-", dir=pki.dir)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def psk_listener(port, path, certificates=False, **extra):
    if certificates:
        return PKI["ec"].listener(port, psk_hint="fleet", psk_file=path, **extra)
    l = {"type": "tls", "bind": "127.0.0.1", "port": port, "psk_hint": "fleet", "psk_file": path}
    l.update(extra)
    return l


def psk_args(identity, key):
    return ["-h", "127.0.0.1", "--psk-identity", identity, "--psk", key]


def psk_pub(port, topic, message, identity, key):
    return run(["mosquitto_pub", "-p", str(port), "-t", topic, "-m", message] + psk_args(identity, key))


def s_client_psk(port, identity, key, *extra):
    """An MQTT CONNECT over `openssl s_client -psk`; its output (bytes)."""
    p = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2", "-psk_identity",
                          identity, "-psk", key] + list(extra),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    p.stdin.write(connect_packet(b"sc"))
    p.stdin.flush()
    time.sleep(1)  # for the CONNACK; s_client ends at the end of its input
    out, _ = p.communicate(timeout=10)
    return out


GOOD = "# sensors of hall 2\n\nsensor-1:%s\n  \nsensor-2:%s\n" % (KEY1, KEY2)


class Psk(unittest.TestCase):
    def test_psk_only_listener(self):
        tp = free_port()
        with tls_broker({"listeners": [psk_listener(tp, psk_file(GOOD))]}, tp, args=["-v"]) as b:
            sub = Sub(tp, "h/#", *psk_args("sensor-2", KEY2), count=2, timeout=8)
            r = psk_pub(tp, "h/1", "one", "sensor-1", KEY1)
            self.assertEqual(r.returncode, 0, r.stderr + b.output())
            self.assertTrue(wait_for(lambda: 'PSK identity "sensor-1"' in b.output()), b.output())
            # A wrong key and an unknown identity are refused; the others go on.
            wrong = psk_pub(tp, "h/bad", "bad", "sensor-1", KEY2[:32])
            self.assertNotEqual(wrong.returncode, 0)
            self.assertTrue(wait_for(lambda: 'wrong key for PSK identity "sensor-1"' in b.output()), b.output())
            unknown = psk_pub(tp, "h/bad", "bad", "sensor-9", KEY1)
            self.assertNotEqual(unknown.returncode, 0)
            self.assertTrue(wait_for(lambda: 'unknown PSK identity "sensor-9"' in b.output()), b.output())
            # No certificate here: a certificate client finds no suite.
            cert = run(["mosquitto_pub", "-p", str(tp), "-t", "h/bad", "-m", "bad"] + PKI["ec"].client_args())
            self.assertNotEqual(cert.returncode, 0)
            r = psk_pub(tp, "h/2", "two", "sensor-1", KEY1)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sub.lines(), ["h/1 one", "h/2 two"])
            self.assertNotIn(KEY1, b.output())

    def test_psk_alongside_certificates_and_identity_as_username(self):
        pki = PKI["ec"]
        tp = free_port()
        acl = psk_file("user sensor-1\ntopic readwrite own/sensor-1/#\n\nuser device-7\ntopic read own/#\n")
        listener = psk_listener(tp, psk_file(GOOD), certificates=True, use_identity_as_username=True,
                                acl_file=acl)
        with tls_broker({"listeners": [listener]}, tp) as b:
            # A certificate client would need require_certificate for its
            # CN; without one it has no identity and is refused.
            r = run(["mosquitto_pub", "-p", str(tp), "-t", "own/x", "-m", "x"] + pki.client_args())
            self.assertNotEqual(r.returncode, 0)
            sub = Sub(tp, "own/#", *psk_args("sensor-1", KEY1), count=1, timeout=8)
            # sensor-2 may not write there (the ACL knows it by its identity)...
            r = psk_pub(tp, "own/sensor-1/t", "forged", "sensor-2", KEY2)
            self.assertEqual(r.returncode, 0, r.stderr)
            # ...sensor-1 may.
            r = psk_pub(tp, "own/sensor-1/t", "21.5", "sensor-1", KEY1)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sub.lines(), ["own/sensor-1/t 21.5"])
            self.assertTrue(b.alive())

    def test_require_certificate_takes_a_certificate_or_a_key(self):
        # PSK suites ask for no certificate (mbedTLS, as OpenSSL): with
        # require_certificate a client proves itself by either, and
        # use_identity_as_username takes the CN or the identity.
        pki = PKI["ec"]
        tp = free_port()
        listener = psk_listener(tp, psk_file(GOOD), certificates=True, cafile=pki.path("ca.crt"),
                                require_certificate=True, use_identity_as_username=True)
        with tls_broker({"listeners": [listener]}, tp, args=["-v"]) as b:
            r = psk_pub(tp, "w/1", "x", "sensor-1", KEY1)
            self.assertEqual(r.returncode, 0, r.stderr + b.output())
            r = run(["mosquitto_pub", "-p", str(tp), "-t", "w/1", "-m", "x"] + pki.client_args("client"))
            self.assertEqual(r.returncode, 0, r.stderr + b.output())
            r = run(["mosquitto_pub", "-p", str(tp), "-t", "w/1", "-m", "x"] + pki.client_args())
            self.assertNotEqual(r.returncode, 0)
            self.assertTrue(wait_for(lambda: "(user sensor-1," in b.output() and "(user device-7," in b.output()),
                            b.output())
            self.assertIn("no client certificate (require_certificate)", b.output())

    @unittest.skipUnless(tls_util.OPENSSL, "TLS 1.3: OpenSSL's listeners only")
    def test_tls13_psk_dropped_for_the_suite_proves_no_identity(self):
        # A key of psk_file is a SHA-256 PSK in TLS 1.3: with only a SHA-384
        # suite allowed, OpenSSL drops the client's PSK without checking its
        # binder and goes on with the certificate. The identity the client
        # sent then proves nothing: no username from it (here with a wrong
        # key), and no PSK on the log line.
        tp = free_port()
        listener = psk_listener(tp, psk_file(GOOD), certificates=True, use_identity_as_username=True,
                                ciphers="TLS_AES_256_GCM_SHA384")
        with tls_broker({"listeners": [listener]}, tp, args=["-v"]) as b:
            r = psk_pub(tp, "d/1", "x", "sensor-1", KEY2)
            self.assertNotEqual(r.returncode, 0, b.output())
            self.assertTrue(wait_for(lambda: "established: TLSv1.3 TLS-AES-256-GCM-SHA384" in b.output()),
                            b.output())
            self.assertNotIn("sensor-1", b.output())

    def test_psk_sessions_are_not_resumed(self):
        # mbedTLS keeps no PSK identity in a session: a resumed one had no
        # username and was refused. Each PSK connection is a full handshake.
        tp = free_port()
        sess = os.path.join(PKI["ec"].dir, "psk-session.pem")
        listener = psk_listener(tp, psk_file(GOOD), use_identity_as_username=True)
        with tls_broker({"listeners": [listener]}, tp, args=["-v"]) as b:
            for attempt in range(2):
                resume = ["-sess_in", sess] if os.path.exists(sess) else []
                out = s_client_psk(tp, "sensor-1", KEY1, "-sess_out", sess, *resume)
                self.assertIn(b"New, TLSv1.2", out, out)
                self.assertIn(b"\x20\x02\x00\x00", out, b.output())  # CONNACK accepted
            self.assertEqual(b.output().count("connected (user sensor-1"), 2, b.output())

    def test_psk_and_certificate_clients_on_one_listener(self):
        pki = PKI["ec"]
        tp = free_port()
        with tls_broker({"listeners": [psk_listener(tp, psk_file(GOOD), certificates=True)]}, tp, args=["-v"]) as b:
            sub = Sub(tp, "m/#", *pki.client_args(), count=2, timeout=8)
            r = psk_pub(tp, "m/psk", "p", "sensor-2", KEY2)
            self.assertEqual(r.returncode, 0, r.stderr + b.output())
            s = tls_connect(tp, pki.context())
            self.assertTrue(mqtt_connect(s, b"cert"))
            s.sendall(b"\x30\x08\x00\x04m/ce" + b"cc")
            self.assertEqual(sub.lines(), ["m/psk p", "m/ce cc"])
            s.close()
            # The PSK client got a PSK suite, though it offers the others too.
            # With OpenSSL it speaks TLS 1.3, whose suites name no key
            # exchange: the identity on the line shows the key was used.
            def psk_suite():
                lines = [line for line in b.output().splitlines() if 'PSK identity "sensor-2"' in line]
                return any("PSK-WITH" in line or (tls_util.OPENSSL and "TLSv1.3 TLS-" in line) for line in lines)
            self.assertTrue(wait_for(psk_suite), b.output())

    def test_malformed_psk_file_stops_the_start(self):
        cases = [
            ("sensor-1:%s\nno colon here\n" % KEY1, ":2: expected identity:hexkey"),
            ("# c\n:%s\n" % KEY1, ":2: empty identity"),
            ("a:0011zz\n", ":1: key is not hexadecimal for identity a"),
            ("a:001\n", ":1: key has an odd number of hexadecimal digits for identity a"),
            ("a:\n", ":1: empty key for identity a"),
            ("a:" + "00" * 33 + "\n", ":1: key longer than 32 bytes (64 hexadecimal digits) for identity a"),
            ("a:%s\n\na:%s\n" % (KEY1, KEY2), ":3: identity a given twice"),
        ]
        for text, expect in cases:
            path = psk_file(text)
            out = refused_start(psk_listener(free_port(), path))
            self.assertIn("psk_file " + path + expect, out)
            self.assertNotIn(KEY1, out)
        missing = os.path.join(PKI["ec"].dir, "no-such.psk")
        self.assertIn("psk_file " + missing + ": No such file or directory",
                      refused_start(psk_listener(free_port(), missing)))
        self.assertIn("psk_file: required with psk_hint",
                      refused_start({"type": "tls", "bind": "127.0.0.1", "port": free_port(), "psk_hint": "h"}))
        self.assertIn("certfile: required for a tls listener",
                      refused_start({"type": "tls", "bind": "127.0.0.1", "port": free_port(),
                                     "psk_file": psk_file(GOOD)}))

    def test_reload_adds_an_identity_and_keeps_the_old_keys_on_a_bad_file(self):
        tp = free_port()
        path = psk_file(GOOD)
        with tls_broker({"listeners": [psk_listener(tp, path)]}, tp) as b:
            self.assertNotEqual(psk_pub(tp, "r/1", "x", "sensor-3", KEY1).returncode, 0)
            with open(path, "a") as f:
                f.write("sensor-3:%s\n" % KEY2)
            b.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "TLS files reloaded" in b.output()), b.output())
            r = psk_pub(tp, "r/1", "x", "sensor-3", KEY2)
            self.assertEqual(r.returncode, 0, r.stderr + b.output())
            # A malformed file: the keys in use stay, the error is logged.
            with open(path, "a") as f:
                f.write("sensor-4 %s\n" % KEY1)
            b.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "TLS reload failed, the listener keeps its previous files" in b.output()),
                            b.output())
            self.assertIn("psk_file " + path + ":7: expected identity:hexkey", b.output())
            for identity, key in (("sensor-1", KEY1), ("sensor-3", KEY2)):
                r = psk_pub(tp, "r/1", "x", identity, key)
                self.assertEqual(r.returncode, 0, identity + ": " + r.stderr)


class KeyfilePassword(unittest.TestCase):
    SECRET = "c0rrect horse battery"

    def encrypted_key(self, name, *how):
        pki = PKI["ec"]
        path = os.path.join(pki.dir, name)
        subprocess.run(["openssl"] + list(how) + ["-in", pki.path("server.key"), "-passout",
                        "pass:" + self.SECRET, "-out", path], check=True, capture_output=True)
        with open(path) as f:
            self.assertIn("ENCRYPTED", f.read())
        return path

    def test_encrypted_keyfile(self):
        pki = PKI["ec"]
        # The traditional PEM encryption (DEK-Info: AES-256-CBC).
        key = self.encrypted_key("server-encrypted.key", "pkey", "-traditional", "-aes256")
        tp = free_port()
        with tls_broker({"listeners": [pki.listener(tp, keyfile=key, keyfile_password=self.SECRET)]}, tp) as b:
            s = tls_connect(tp, pki.context())
            self.assertTrue(mqtt_connect(s))
            s.close()
            self.assertNotIn(self.SECRET, b.output())
        tp = free_port()
        cfg = {"listeners": [pki.listener(tp, keyfile=key)]}
        with tls_broker(cfg, tp, env={"ACTORMQ_KEYFILE_PASSWORD": self.SECRET}) as b:
            s = tls_connect(tp, pki.context())
            self.assertTrue(mqtt_connect(s))
            s.close()
            self.assertNotIn(self.SECRET, b.output())
        out = refused_start(pki.listener(free_port(), keyfile=key))
        self.assertIn("keyfile " + key + ": encrypted, and no keyfile_password (nor ACTORMQ_KEYFILE_PASSWORD) given",
                      out)
        out = refused_start(pki.listener(free_port(), keyfile=key, keyfile_password="wrong one"))
        self.assertIn("keyfile " + key + ": wrong keyfile_password", out)
        self.assertNotIn("wrong one", out.replace("keyfile_password", ""))
        # OpenSSL 3's default PKCS#8 encryption, which mbedTLS 2.28 cannot read: told how to write it.
        default = self.encrypted_key("server-default.key", "pkey", "-aes256")
        if tls_util.OPENSSL:  # which OpenSSL's listeners read, of course
            tp = free_port()
            with tls_broker({"listeners": [pki.listener(tp, keyfile=default, keyfile_password=self.SECRET)]}, tp) as b:
                s = tls_connect(tp, pki.context())
                self.assertTrue(mqtt_connect(s))
                s.close()
                self.assertNotIn(self.SECRET, b.output())
        else:
            out = refused_start(pki.listener(free_port(), keyfile=default, keyfile_password=self.SECRET))
            self.assertIn("keyfile " + default + ": encrypted with a scheme mbedTLS 2.28 cannot read (PKCS#8 with "
                          "AES, OpenSSL 3's default); write it as a traditional PEM key", out)
            self.assertNotIn(self.SECRET, out)
        self.assertIn("keyfile_password: only for tls, wss and https listeners",
                      refused_start({"type": "tcp", "bind": "127.0.0.1", "port": free_port(),
                                     "keyfile_password": "x"}))


if __name__ == "__main__":
    main()
