"""A bridge over TLS to mosquitto with a throwaway CA (tls_util.Pki): the
remote's certificate (CN=localhost, SAN IP:127.0.0.1) verifies for the IP
address dialled and messages cross; with another CA as cafile the
handshake is refused, logged, retried, and the broker goes on serving its
own clients; a crlfile that lists the remote's certificate refuses it; a
client key encrypted, opened by keyfile_password or ACTORMQ_KEYFILE_PASSWORD. And a
bridge with a pre-shared key (psk, psk_identity) to a mosquitto PSK
listener, a wrong key refused."""

import json
import os
import subprocess
import tempfile
import unittest

from bridge_util import Mosquitto, bridge, client, messages, payloads, state_is, topic
from harness import ACTORMQ, Broker, free_port, run, wait_for
from tls_util import Pki, cleanup


def refused_start(config):
    """The broker's output when it refuses to start with `config`."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        r = run([ACTORMQ, "--config", path, "--port", str(free_port()), "--bind", "127.0.0.1"], timeout=30)
    assert r.returncode != 0, "the broker started"
    return r.stdout + r.stderr


class BridgeTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()

    @classmethod
    def tearDownClass(cls):
        cleanup()

    def setUp(self):
        p = self.pki.path
        self.remote = Mosquitto(tls={"cafile": p("ca.crt"), "certfile": p("server.crt"),
                                     "keyfile": p("server.key")})
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        code = self.broker.stop()
        self.remote.close()
        self.assertEqual(code, 0, self.broker.output())

    def start(self, cafile, **tls):
        tls["cafile"] = self.pki.path(cafile)
        self.broker = Broker({"data_dir": "none", "bridges": [
            bridge("tb", self.remote.port, [topic("t/#", "out", 1)], tls=tls)]})

    def test_crlfile_listing_the_remote_refuses_it(self):
        self.start("ca.crt", crlfile=self.pki.crl(["server"], out="crl-server.pem"))
        self.assertTrue(wait_for(lambda: "The certificate has been revoked (is on a CRL)" in self.broker.output(), 10),
                        self.broker.output())
        self.assertIn("TLS handshake failed: server certificate not accepted", self.broker.output())
        self.assertTrue(state_is(self.broker.port, "tb", "0"))

    def test_crlfile_not_listing_the_remote(self):
        self.start("ca.crt", crlfile=self.pki.crl([], out="crl-empty.pem"))
        self.assertTrue(state_is(self.broker.port, "tb", "1"), self.broker.output())

    def test_verified_remote_carries_messages(self):
        self.start("ca.crt")
        self.assertTrue(state_is(self.broker.port, "tb", "1"), self.broker.output())
        local = client(self.broker.port)
        self.clients.append(local)
        local.publish("t/secure", b"s", qos=1)
        # The remote's own clients need TLS too: check its retained state and log.
        self.assertTrue(wait_for(lambda: "Received PUBLISH from tb" in self.remote.output()
                                 and "'t/secure'" in self.remote.output(), 5), self.remote.output())

    def test_encrypted_client_key_with_keyfile_password(self):
        # The bridge's client certificate with its key encrypted (traditional
        # PEM, AES-256): keyfile_password, or ACTORMQ_KEYFILE_PASSWORD, opens it.
        secret = "bridge key secret"
        key = self.pki.path("client-encrypted.key")
        subprocess.run(["openssl", "pkey", "-traditional", "-aes256", "-in", self.pki.path("client.key"),
                        "-passout", "pass:" + secret, "-out", key], check=True, capture_output=True)
        cert = self.pki.path("client.crt")
        self.start("ca.crt", certfile=cert, keyfile=key, keyfile_password=secret)
        self.assertTrue(state_is(self.broker.port, "tb", "1"), self.broker.output())
        self.assertNotIn(secret, self.broker.output())
        self.assertEqual(self.broker.stop(), 0)
        # Out of the environment, the file naming no password.
        self.broker = Broker({"data_dir": "none", "bridges": [
            bridge("tb", self.remote.port, [topic("t/#", "out", 1)],
                   tls={"cafile": self.pki.path("ca.crt"), "certfile": cert, "keyfile": key})]},
            env={"ACTORMQ_KEYFILE_PASSWORD": secret})
        self.assertTrue(state_is(self.broker.port, "tb", "1"), self.broker.output())
        self.assertEqual(self.broker.stop(), 0)
        # Neither: the start is refused, naming the key.
        out = refused_start({"data_dir": "none", "bridges": [
            bridge("tb", self.remote.port, [topic("t/#", "out", 1)],
                   tls={"cafile": self.pki.path("ca.crt"), "certfile": cert, "keyfile": key})]})
        self.assertIn("keyfile " + key + ": encrypted, and no keyfile_password (nor ACTORMQ_KEYFILE_PASSWORD) given",
                      out)
        self.broker = Broker({"data_dir": "none"})  # for tearDown

    def test_wrong_ca_is_refused_and_the_broker_serves_on(self):
        self.start("other.crt")
        self.assertTrue(wait_for(lambda: self.broker.output().count("bridge tb (127.0.0.1:%d): " % self.remote.port)
                                 >= 3, 10), self.broker.output())
        out = self.broker.output()
        self.assertIn("warning: bridge tb (127.0.0.1:%d): TLS handshake failed: server certificate not accepted"
                      % self.remote.port, out)
        self.assertNotIn("connected", out)
        self.assertTrue(state_is(self.broker.port, "tb", "0"))
        # Its own clients are served as ever.
        sub = client(self.broker.port)
        self.clients.append(sub)
        sub.subscribe("local/#", qos=1)
        pub = client(self.broker.port)
        self.clients.append(pub)
        pub.publish("local/x", b"still here", qos=1)
        self.assertEqual(payloads(messages(sub, 1)), [("local/x", "still here", 1)])


class BridgePsk(unittest.TestCase):
    KEY = "00112233445566778899aabbccddeeff"

    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()

    @classmethod
    def tearDownClass(cls):
        cleanup()

    def setUp(self):
        psk_file = os.path.join(self.pki.dir, "remote.psk")
        with open(psk_file, "w") as f:
            f.write("bridge-1:%s\n" % self.KEY)
        self.remote = Mosquitto(tls={"psk_hint": "remote", "psk_file": psk_file})
        self.broker = None

    def tearDown(self):
        code = self.broker.stop() if self.broker else 0
        self.remote.close()
        self.assertEqual(code, 0, self.broker.output() if self.broker else "")

    def start(self, key):
        self.broker = Broker({"data_dir": "none", "bridges": [
            bridge("tb", self.remote.port, [topic("t/#", "out", 1)],
                   tls={"psk": key, "psk_identity": "bridge-1"})]})

    def test_psk_bridge_carries_messages(self):
        self.start(self.KEY)
        self.assertTrue(state_is(self.broker.port, "tb", "1"), self.broker.output() + self.remote.output())
        local = client(self.broker.port)
        try:
            local.publish("t/psk", b"p", qos=1)
            self.assertTrue(wait_for(lambda: "Received PUBLISH from tb" in self.remote.output()
                                     and "'t/psk'" in self.remote.output(), 5), self.remote.output())
        finally:
            local.close()

    def test_wrong_psk_is_refused(self):
        self.start("ffeeddccbbaa99887766554433221100")
        self.assertTrue(wait_for(lambda: self.broker.output().count("bridge tb (127.0.0.1:%d): " % self.remote.port)
                                 >= 2, 10), self.broker.output())
        self.assertIn("TLS handshake failed: SSL - A fatal alert message was received from our peer (the remote "
                      "refused the psk or psk_identity?)", self.broker.output())
        self.assertTrue(state_is(self.broker.port, "tb", "0"))


if __name__ == "__main__":
    unittest.main()
