"""TLS for device fleets: certificate revocation lists (crlfile) and a CA
directory (capath), the TLS files read again on SIGHUP (certificate
rotation under connected clients, a bad pair kept out, a client revoked
while connected disconnected), tls_version, ALPN "mqtt" and SNI. Throwaway
CAs and CRLs made by openssl (tls_util). Bad files stop the start naming
the key and the file."""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import unittest

import tls_util
from harness import ACTORMQ, Broker, Sub, free_port, main, pub, run, wait_for, wait_port
from test_tls import mqtt_connect, tls_broker, tls_connect

PKI = {}


def setUpModule():
    pki = tls_util.Pki("ec")
    pki.issue("device2", "device-2")
    pki.issue("server2", "localhost", ext="subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    PKI["ec"] = pki


def tearDownModule():
    tls_util.cleanup()


def refused_start(listener):
    """The broker's output when it refuses to start with `listener`."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "config.json")
        with open(path, "w") as f:
            json.dump({"listeners": [listener]}, f)
        r = run([ACTORMQ, "--config", path, "--data-dir", "none"], timeout=30)
    assert r.returncode != 0, "the broker started"
    return r.stdout + r.stderr


def serial_of(s):
    """The serial of the server certificate a connected ssl socket saw."""
    return s.getpeercert()["serialNumber"].upper()


def pinged(s):
    """True if the connection still answers a PINGREQ."""
    s.sendall(b"\xc0\x00")
    return s.recv(2) == b"\xd0\x00"


def closed_by_peer(s, timeout=5):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except (ssl.SSLError, ConnectionResetError):
        return True


class Revocation(unittest.TestCase):
    def test_revoked_certificate_refused_at_handshake(self):
        pki = PKI["ec"]
        tp = free_port()
        crl = pki.crl(["client"], out="crl-client.pem")
        cfg = {"listeners": [pki.listener(tp, cafile=pki.path("ca.crt"), crlfile=crl, require_certificate=True)]}
        with tls_broker(cfg, tp) as b:
            sub = Sub(tp, "v/#", *pki.client_args("device2"), count=1, timeout=6)
            r = run(["mosquitto_pub", "-p", str(tp), "-t", "v/bad", "-m", "bad"] + pki.client_args("client"))
            self.assertNotEqual(r.returncode, 0)
            serial = ":".join(pki.serial("client")[i:i + 2] for i in range(0, len(pki.serial("client")), 2))
            expect = "client certificate serial " + serial + " revoked"
            self.assertTrue(wait_for(lambda: expect in b.output()), b.output())
            self.assertIn("revoked (is on a CRL)", b.output())
            ok = run(["mosquitto_pub", "-p", str(tp), "-t", "v/good", "-m", "good"] + pki.client_args("device2"))
            self.assertEqual(ok.returncode, 0, ok.stderr)
            self.assertEqual(sub.lines(), ["v/good good"])

    def test_capath_reads_every_certificate_file(self):
        pki = PKI["ec"]
        capath = tempfile.mkdtemp(prefix="actormq-capath-", dir=pki.dir)
        shutil.copy(pki.path("other.crt"), os.path.join(capath, "other.pem"))
        shutil.copy(pki.path("ca.crt"), os.path.join(capath, "fleet-ca.pem"))
        with open(os.path.join(capath, "README"), "w") as f:
            f.write("not a certificate\n")
        tp = free_port()
        cfg = {"listeners": [pki.listener(tp, capath=capath, require_certificate=True)]}
        with tls_broker(cfg, tp) as b:
            for cert in ("client", "foreign"):  # signed by ca and by other
                r = run(["mosquitto_pub", "-p", str(tp), "-t", "p/1", "-m", "x"] + pki.client_args(cert))
                self.assertEqual(r.returncode, 0, cert + ": " + r.stderr + b.output())
            r = run(["mosquitto_pub", "-p", str(tp), "-t", "p/1", "-m", "x"] + pki.client_args())
            self.assertNotEqual(r.returncode, 0)  # no certificate
            self.assertTrue(b.alive())

    def test_bad_files_stop_the_start(self):
        pki = PKI["ec"]
        ca = pki.path("ca.crt")
        bad = os.path.join(pki.dir, "garbage.pem")
        with open(bad, "w") as f:
            f.write("-----BEGIN X509 CRL-----\nnot base64 at all\n-----END X509 CRL-----\n")
        out = refused_start(pki.listener(free_port(), cafile=ca, crlfile=bad))
        self.assertIn("crlfile " + bad + ":", out)
        missing = os.path.join(pki.dir, "no-such.crl")
        self.assertIn("crlfile " + missing + ":", refused_start(pki.listener(free_port(), cafile=ca, crlfile=missing)))
        empty = tempfile.mkdtemp(prefix="actormq-capath-", dir=pki.dir)
        self.assertIn("capath " + empty + ": no PEM CA certificate in it",
                      refused_start(pki.listener(free_port(), capath=empty)))
        broken = tempfile.mkdtemp(prefix="actormq-capath-", dir=pki.dir)
        with open(os.path.join(broken, "ca.pem"), "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        self.assertIn("capath " + os.path.join(broken, "ca.pem") + ":",
                      refused_start(pki.listener(free_port(), capath=broken)))
        self.assertIn("capath " + missing + ":", refused_start(pki.listener(free_port(), capath=missing)))


class Reload(unittest.TestCase):
    def test_crl_reload_disconnects_a_connected_revoked_device(self):
        pki = PKI["ec"]
        tp = free_port()
        crl = pki.crl([], out="crl-reload.pem")
        cfg = {"listeners": [pki.listener(tp, cafile=pki.path("ca.crt"), crlfile=crl, require_certificate=True)]}
        with tls_broker(cfg, tp) as b:
            stolen = tls_connect(tp, pki.context("client"))
            self.assertTrue(mqtt_connect(stolen, b"stolen"))
            half = tls_connect(tp, pki.context("client"))  # handshake done, CONNECT not sent yet
            honest = tls_connect(tp, pki.context("device2"))
            self.assertTrue(mqtt_connect(honest, b"honest"))
            pki.crl(["client"], out="crl-reload.pem")
            b.proc.send_signal(signal.SIGHUP)
            self.assertTrue(closed_by_peer(stolen), b.output())
            self.assertTrue(wait_for(lambda: "client stolen" in b.output() and
                                     "revoked by the reloaded crlfile; disconnecting" in b.output()), b.output())
            half.sendall(b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00")
            self.assertTrue(closed_by_peer(half), b.output())
            self.assertTrue(pinged(honest))
            with self.assertRaises((ssl.SSLError, OSError)):  # and it cannot come back
                s = tls_connect(tp, pki.context("client"))
                mqtt_connect(s, b"again")
            self.assertTrue(pinged(honest))

    def test_certificate_rotation_on_sighup(self):
        pki = PKI["ec"]
        live = tempfile.mkdtemp(prefix="actormq-live-", dir=pki.dir)
        cert, key = os.path.join(live, "server.crt"), os.path.join(live, "server.key")
        shutil.copy(pki.path("server.crt"), cert)
        shutil.copy(pki.path("server.key"), key)
        tp = free_port()
        cfg = {"listeners": [{"type": "tls", "bind": "127.0.0.1", "port": tp, "certfile": cert, "keyfile": key}]}
        with tls_broker(cfg, tp) as b:
            ctx = pki.context()
            before = tls_connect(tp, ctx)
            self.assertTrue(mqtt_connect(before, b"before"))
            self.assertEqual(serial_of(before), pki.serial("server"))
            session = before.session
            shutil.copy(pki.path("server2.crt"), cert)
            shutil.copy(pki.path("server2.key"), key)
            b.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "TLS files reloaded" in b.output()), b.output())
            after = tls_connect(tp, ctx, session=session)
            self.assertFalse(after.session_reused)  # a session from before a reload is not resumed
            self.assertEqual(serial_of(after), pki.serial("server2"))
            self.assertTrue(mqtt_connect(after, b"after"))
            self.assertTrue(pinged(before))  # the established connection stayed
            # A key that is not the certificate's: the files in use stay.
            shutil.copy(pki.path("server.key"), key)
            b.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "TLS reload failed, the listener keeps its previous files" in b.output()),
                            b.output())
            self.assertIn("not the private key of certfile " + cert, b.output())
            again = tls_connect(tp, ctx)
            self.assertEqual(serial_of(again), pki.serial("server2"))
            self.assertTrue(mqtt_connect(again, b"again"))
            self.assertTrue(pinged(before))
            self.assertTrue(b.alive())


class VersionsAndAlpn(unittest.TestCase):
    def test_tls_version(self):
        pki = PKI["ec"]
        if tls_util.OPENSSL:
            tp = free_port()
            with tls_broker({"listeners": [pki.listener(tp, tls_version="tlsv1.3")]}, tp) as b:
                with self.assertRaises(ssl.SSLError):
                    tls_connect(tp, pki.context())  # TLS 1.2 at most
                s = tls_connect(tp, pki.context(tls12=False))
                self.assertEqual(s.version(), "TLSv1.3")
                self.assertTrue(mqtt_connect(s))
        else:
            out = refused_start(pki.listener(free_port(), tls_version="tlsv1.3"))
            self.assertIn("tls_version: tlsv1.3 is not available: mbedTLS 2.28 has no TLS 1.3 server", out)
        self.assertIn("tls_version: tlsv1.1 is not offered",
                      refused_start(pki.listener(free_port(), tls_version="tlsv1.1")))
        tp = free_port()
        with tls_broker({"listeners": [pki.listener(tp, tls_version="tlsv1.2")]}, tp) as b:
            old = pki.context()
            old.set_ciphers("DEFAULT:@SECLEVEL=0")
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
            with self.assertRaises(ssl.SSLError):
                tls_connect(tp, old)
            # A TLS 1.3 client settles on 1.2 with mbedTLS, has 1.3 with OpenSSL
            # (tls_version is the minimum); a TLS 1.2 one has 1.2 with both.
            s = tls_connect(tp, pki.context(tls12=False))
            self.assertEqual(s.version(), "TLSv1.3" if tls_util.OPENSSL else "TLSv1.2")
            self.assertTrue(mqtt_connect(s))
            s = tls_connect(tp, pki.context())
            self.assertEqual(s.version(), "TLSv1.2")
            self.assertTrue(mqtt_connect(s))
            self.assertTrue(b.alive())

    def test_alpn_mqtt_and_sni_logged(self):
        pki = PKI["ec"]
        tp = free_port()
        with tls_broker({"listeners": [pki.listener(tp)]}, tp, args=["-v"]) as b:
            r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % tp, "-alpn", "mqtt",
                                "-servername", "localhost", "-CAfile", pki.path("ca.crt")],
                               input="", capture_output=True, text=True, timeout=10)
            self.assertIn("ALPN protocol: mqtt", r.stdout, r.stdout + r.stderr)
            self.assertTrue(wait_for(lambda: "ALPN mqtt, SNI localhost" in b.output()), b.output())
            # A client that asks for no protocol is served as before.
            s = tls_connect(tp, pki.context())
            self.assertIsNone(s.selected_alpn_protocol())
            self.assertTrue(mqtt_connect(s))
            # One that speaks none of MQTT's is refused (RFC 7301 3.2), alone.
            ctx = pki.context()
            ctx.set_alpn_protocols(["h2"])
            with self.assertRaises(ssl.SSLError):
                tls_connect(tp, ctx)
            self.assertTrue(pinged(s))


if __name__ == "__main__":
    main()
