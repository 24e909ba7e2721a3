"""ACL rules for a username taken from the client certificate
(use_identity_as_username on a TLS listener): the certificate's CN
"device-7" gets its `user` section and `%u` patterns; the username in the
CONNECT does not count."""

import unittest

import tls_util
from auth_util import Files
from harness import Broker, Sub, free_port, main, run, wait_port

ACL = """user device-7
topic readwrite dev7/#

user mallory
topic readwrite #

pattern read echo/%u
"""


class IdentityAcl(unittest.TestCase):
    def test_certificate_cn_is_the_acl_user(self):
        pki = tls_util.Pki("ec")
        files = Files()
        try:
            acl = files.write("acl", ACL)
            tp = free_port()
            cfg = {"allow_anonymous": False, "acl_file": acl,
                   "listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": 1},
                                 pki.listener(tp, cafile=pki.path("ca.crt"), require_certificate=True,
                                              use_identity_as_username=True)]}
            with Broker(cfg):
                self.assertTrue(wait_port(tp))
                tls = pki.client_args("client")
                s = Sub(tp, "#", "-i", "sub7", *tls, count=2, timeout=6)
                for topic, user in (("dev7/a", None), ("other/x", "mallory"), ("echo/device-7", None),
                                    ("dev7/b", "mallory")):
                    cmd = ["mosquitto_pub", "-p", str(tp), "-t", topic, "-m", "m"] + tls
                    if user:
                        cmd += ["-u", user, "-P", "ignored"]
                    r = run(cmd)
                    self.assertEqual(r.returncode, 0, r.stderr)
                # "mallory" in CONNECT is ignored: the CN's rules apply (no write to other/x);
                # echo/device-7 is read-only for it through the %u pattern.
                self.assertEqual(s.lines(), ["dev7/a m", "dev7/b m"])
        finally:
            files.cleanup()
            tls_util.cleanup()


if __name__ == "__main__":
    main()
