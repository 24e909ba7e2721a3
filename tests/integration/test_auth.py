"""Authentication: mosquitto_passwd password files ($7$ PBKDF2 and $6$
SHA-512), CONNACK codes for wrong passwords and unknown users (3.1.1 and 5),
allow_anonymous per listener, start refused on malformed files (naming file
and line), and SIGHUP reload without dropping connections."""

import signal
import subprocess
import time
import unittest

from auth_util import Files, start_fails
from harness import Broker, RawClient, Sub, connect_packet, free_port, main, pub, run, wait_port


def connack_code(port, user, password, version):
    c = RawClient(port)
    try:
        c.send(connect_packet(b"raw", version, username=user, password=password))
        pk = c.recv_packet()
        assert pk is not None and pk[0] == 0x20, pk
        return pk[1][1]
    finally:
        c.close()


class Passwords(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = Files()
        cls.pw = cls.files.passwd("pw", [("alice", "secret"), ("carol", "pa ss:word")])
        # mosquitto_passwd -H sha512 writes the "$6$" lines of mosquitto 1.6 and earlier.
        cls.files.passwd("pw6", [("bob", "hunter2")], hash_kind="sha512")
        with open(cls.pw, "a") as f, open(cls.files.path("pw6")) as six:
            f.write(six.read())
            # SHA-512-crypt, as `openssl passwd -6` (or /etc/shadow) writes it.
            crypt = subprocess.run(["openssl", "passwd", "-6", "letmein"], capture_output=True, text=True,
                                   check=True).stdout.strip()
            f.write("dave:" + crypt + "\n")
        with open(cls.pw) as f:
            cls.lines = f.read().splitlines()
        cls.broker = Broker({"password_file": cls.pw, "allow_anonymous": False, "sys_interval": 1})

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.files.cleanup()

    def test_file_has_both_hash_kinds(self):
        kinds = sorted(l.split(":", 1)[1][:3] for l in self.lines)
        self.assertEqual(kinds, ["$6$", "$6$", "$7$", "$7$"])

    def test_pub_sub_with_users_v311_and_v5(self):
        for version in ("311", "5"):
            s = Sub(self.broker.port, "t/" + version, "-u", "alice", "-P", "secret", count=3, version=version)
            pub(self.broker.port, "t/" + version, "from-bob", "-u", "bob", "-P", "hunter2", version=version)
            pub(self.broker.port, "t/" + version, "from-carol", "-u", "carol", "-P", "pa ss:word", version=version)
            pub(self.broker.port, "t/" + version, "from-dave", "-u", "dave", "-P", "letmein", version=version)
            self.assertEqual(s.lines(), ["t/%s from-bob" % version, "t/%s from-carol" % version,
                                         "t/%s from-dave" % version])

    def test_wrong_password_and_unknown_user(self):
        port = self.broker.port
        # 3.1.1: return code 4 (bad user name or password); 5.0: 0x86.
        self.assertEqual(connack_code(port, "alice", "wrong", 4), 4)
        self.assertEqual(connack_code(port, "bob", "hunter", 4), 4)
        self.assertEqual(connack_code(port, "dave", "letmeout", 5), 0x86)
        self.assertEqual(connack_code(port, "nobody", "secret", 4), 4)
        self.assertEqual(connack_code(port, "alice", None, 4), 4)
        self.assertEqual(connack_code(port, "alice", "wrong", 5), 0x86)
        self.assertEqual(connack_code(port, "nobody", "x", 5), 0x86)
        self.assertEqual(connack_code(port, "alice", "secret", 4), 0)
        self.assertEqual(connack_code(port, "bob", "hunter2", 5), 0)
        r = run(["mosquitto_pub", "-p", str(port), "-u", "alice", "-P", "nope", "-t", "x", "-m", "y"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bad user name or password", r.stderr.lower())

    def test_anonymous_refused_and_failures_counted(self):
        c = RawClient(self.broker.port)
        self.assertEqual(c.connect(b"anon"), (0x20, b"\x00\x05"))
        self.assertTrue(c.recv_all()[1])
        c.close()
        connack_code(self.broker.port, "mallory", "guess", 4)
        # The retained value first, then the next update (sys_interval 1 s).
        s = Sub(self.broker.port, "$SYS/broker/clients/auth_failures", "-u", "alice", "-P", "secret",
                count=2, timeout=4)
        lines = s.lines()
        self.assertEqual(len(lines), 2)
        self.assertGreaterEqual(int(lines[-1].split()[1]), 2)
        self.assertIn("connection refused: bad user name or password", self.broker.output())


class ListenerAnonymous(unittest.TestCase):
    def test_allow_anonymous_per_listener(self):
        files = Files()
        try:
            pw = files.passwd("pw", [("alice", "secret")])
            open_port = free_port()
            config = {"allow_anonymous": False, "password_file": pw,
                      "listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": 1},
                                    {"type": "tcp", "bind": "127.0.0.1", "port": open_port,
                                     "allow_anonymous": True, "password_file": ""}]}
            with Broker(config) as b:
                # The harness waits for the first listener only; the second opens just after it.
                self.assertTrue(wait_port(open_port))
                c = RawClient(b.port)
                self.assertEqual(c.connect(b"anon1"), (0x20, b"\x00\x05"))
                c.close()
                c = RawClient(open_port)
                self.assertEqual(c.connect(b"anon2"), (0x20, b"\x00\x00"))
                c.close()
                # The second listener has no password file: any user name passes there.
                self.assertEqual(connack_code(open_port, "alice", "whatever", 4), 0)
                self.assertEqual(connack_code(b.port, "alice", "whatever", 4), 4)
                self.assertEqual(connack_code(b.port, "alice", "secret", 4), 0)
        finally:
            files.cleanup()


class MalformedFiles(unittest.TestCase):
    def setUp(self):
        self.files = Files()

    def tearDown(self):
        self.files.cleanup()

    def test_bad_password_file_refuses_start(self):
        pw = self.files.write("pw", "# users\nalice:$7$101$c2FsdA==$notbase64!\n")
        code, err = start_fails({"password_file": pw}, self.files)
        self.assertEqual(code, 1)
        self.assertIn("password_file %s:2: user \"alice\": hash is not the base64 of 64 bytes" % pw, err)
        pw = self.files.write("pw2", "alice\n")
        code, err = start_fails({"password_file": pw}, self.files)
        self.assertEqual(code, 1)
        self.assertIn("%s:1: expected user:hash" % pw, err)

    def test_bad_acl_file_refuses_start(self):
        acl = self.files.write("acl", "topic read a/#\n\nuser bob\ntopic sometimes b\n")
        code, err = start_fails({"acl_file": acl}, self.files)
        self.assertEqual(code, 1)
        self.assertIn("acl_file %s:4: bad access \"sometimes\"" % acl, err)
        acl = self.files.write("acl2", "topic read a/#/b\n")
        code, err = start_fails({"listeners": [{"port": 1, "bind": "127.0.0.1", "acl_file": acl}]}, self.files)
        self.assertEqual(code, 1)
        self.assertIn("%s:1: invalid topic filter" % acl, err)

    def test_missing_files_refuse_start(self):
        code, err = start_fails({"password_file": self.files.path("absent")}, self.files)
        self.assertEqual(code, 1)
        self.assertIn(self.files.path("absent") + ": cannot read", err)
        code, err = start_fails({"scram_file": self.files.path("absent2")}, self.files)
        self.assertEqual(code, 1)
        self.assertIn("scram_file " + self.files.path("absent2"), err)


class Reload(unittest.TestCase):
    def test_sighup_reloads_passwords_and_acl_keeping_connections(self):
        files = Files()
        try:
            pw = files.passwd("pw", [("alice", "secret")])
            acl = files.write("acl", "user alice\ntopic readwrite a/#\n")
            with Broker({"password_file": pw, "acl_file": acl, "allow_anonymous": False}) as b:
                # "#" is granted (alice may read a/#); each delivery is checked
                # against the rules in force when it happens.
                s = Sub(b.port, "#", "-u", "alice", "-P", "secret", count=3, timeout=10)
                pub(b.port, "a/1", "before", "-u", "alice", "-P", "secret")
                pub(b.port, "b/1", "denied-before", "-u", "alice", "-P", "secret")
                self.assertEqual(connack_code(b.port, "dave", "pw", 4), 4)
                # New rules: dave exists, alice may use b/#.
                files.passwd("pw", [("alice", "secret"), ("dave", "pw")])
                files.write("acl", "user alice\ntopic readwrite a/#\ntopic readwrite b/#\n")
                b.proc.send_signal(signal.SIGHUP)
                deadline = time.time() + 5
                while "reloaded" not in b.output() and time.time() < deadline:
                    time.sleep(0.05)
                self.assertIn("password, ACL and SCRAM files reloaded", b.output())
                self.assertEqual(connack_code(b.port, "dave", "pw", 4), 0)
                pub(b.port, "b/2", "after", "-u", "alice", "-P", "secret")
                # A bad file on reload: logged, the old rules stay, connections too.
                files.write("acl", "user alice\nbogus line\n")
                b.proc.send_signal(signal.SIGHUP)
                deadline = time.time() + 5
                while "reload failed" not in b.output() and time.time() < deadline:
                    time.sleep(0.05)
                self.assertIn("reload failed, the previous rules stay in force: acl_file %s:2" % acl, b.output())
                pub(b.port, "b/3", "still", "-u", "alice", "-P", "secret")
                # The subscriber connected before both reloads received all three.
                self.assertEqual(s.lines(), ["a/1 before", "b/2 after", "b/3 still"])
                self.assertTrue(b.alive())
        finally:
            files.cleanup()


if __name__ == "__main__":
    main()
