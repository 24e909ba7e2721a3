"""Throwaway PKIs for the TLS and WebSocket tests, made with the openssl
command line: a CA, a server certificate for localhost/127.0.0.1 and client
certificates (valid, expired, from another CA, tampered), with ECDSA P-256 or
RSA 2048 keys."""

import os
import shutil
import ssl
import subprocess
import tempfile

_dirs = []

# The TLS backend of the listeners of the actormq under test (CMake's
# ACTORMQ_TLS, README: TLS backends), for the few expectations that differ:
# OpenSSL serves TLS 1.3 and reads every encrypted key format.
BACKEND = os.environ.get("ACTORMQ_TLS", "mbedtls")
OPENSSL = BACKEND == "openssl"


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def _key(name, algo, cwd):
    if algo == "ec":
        _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name, cwd=cwd)
    else:
        _openssl("genrsa", "-out", name, "2048", cwd=cwd)


def _ca(name, algo, cwd):
    _key(name + ".key", algo, cwd)
    _openssl("req", "-x509", "-new", "-key", name + ".key", "-subj", "/CN=" + name + " test CA",
             "-days", "2", "-out", name + ".crt", cwd=cwd)


def _signed(name, cn, ca, algo, cwd, days="2", ext=None):
    _key(name + ".key", algo, cwd)
    _openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-out", name + ".csr", cwd=cwd)
    args = ["x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
            "-CAcreateserial", "-days", days, "-out", name + ".crt"]
    if ext:
        with open(os.path.join(cwd, name + ".ext"), "w") as f:
            f.write(ext)
        args += ["-extfile", name + ".ext"]
    _openssl(*args, cwd=cwd)


class Pki:
    """Files of one PKI, by name: ca, server, client (CN "device-7"),
    expired, foreign (signed by another CA), tampered (signature altered);
    each X has X.crt and X.key."""

    def __init__(self, algo="ec"):
        self.algo = algo
        self.dir = tempfile.mkdtemp(prefix="actormq-pki-")
        _dirs.append(self.dir)
        d = self.dir
        _ca("ca", algo, d)
        _ca("other", algo, d)
        _signed("server", "localhost", "ca", algo, d,
                ext="subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        _signed("client", "device-7", "ca", algo, d)
        _signed("expired", "device-old", "ca", algo, d, days="-1")
        _signed("foreign", "device-x", "other", algo, d)
        # Same certificate as client, one byte of its signature flipped.
        with open(self.path("client.crt")) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        der = der[:-4] + bytes([der[-4] ^ 0x55]) + der[-3:]
        with open(self.path("tampered.crt"), "w") as f:
            f.write(ssl.DER_cert_to_PEM_cert(der))
        shutil.copy(self.path("client.key"), self.path("tampered.key"))

    def path(self, name):
        return os.path.join(self.dir, name)

    def issue(self, name, cn, ext=None):
        """Another certificate (name.crt, name.key) signed by the CA."""
        _signed(name, cn, "ca", self.algo, self.dir, ext=ext)

    def serial(self, name):
        """The serial of name.crt, hex digits in upper case ("1A2B...")."""
        r = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", self.path(name + ".crt")],
                           check=True, capture_output=True, text=True)
        return r.stdout.strip().split("=", 1)[1].upper()

    def crl(self, revoked=(), out="crl.pem"):
        """A CRL of the CA, valid two days, listing the certificates named
        in `revoked`; written to `out` (replaced atomically) and returned."""
        d = self.dir
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = ca_default\n[ca_default]\ndatabase = index.txt\n"
                    "default_md = sha256\ndefault_crl_days = 2\n")
        open(os.path.join(d, "index.txt"), "w").close()
        for name in revoked:
            _openssl("ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt",
                     "-revoke", name + ".crt", cwd=d)
        _openssl("ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-gencrl",
                 "-out", out + ".new", cwd=d)
        os.replace(self.path(out + ".new"), self.path(out))
        return self.path(out)

    def listener(self, port, type_="tls", **extra):
        l = {"type": type_, "bind": "127.0.0.1", "port": port,
             "certfile": self.path("server.crt"), "keyfile": self.path("server.key")}
        l.update(extra)
        return l

    def client_args(self, cert=None):
        """mosquitto_pub/sub options for a TLS connection to localhost."""
        args = ["-h", "localhost", "--cafile", self.path("ca.crt")]
        if cert:
            args += ["--cert", self.path(cert + ".crt"), "--key", self.path(cert + ".key")]
        return args

    def context(self, cert=None, tls12=True):
        """A Python client SSLContext trusting the CA."""
        ctx = ssl.create_default_context(cafile=self.path("ca.crt"))
        if tls12:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        if cert:
            ctx.load_cert_chain(self.path(cert + ".crt"), self.path(cert + ".key"))
        return ctx


def cleanup():
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)
