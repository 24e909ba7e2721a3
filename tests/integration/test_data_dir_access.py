"""A data_dir the broker may not write stops the start with a message naming
the path: a directory without write permission, one that cannot be created,
and a store whose files belong to another user. The tests run as root, who may
write anywhere, so the broker runs as nobody (uid/gid 65534, through util-linux
setpriv) on directories owned by root; without root they run as the user."""

import os
import shutil
import subprocess
import tempfile
import unittest

from harness import ACTORMQ, Broker, free_port, main

NOBODY = 65534


class DataDirAccess(unittest.TestCase):
    def setUp(self):
        self.root = os.geteuid() == 0
        if self.root and shutil.which("setpriv") is None:
            self.skipTest("setpriv (util-linux) is needed to run the broker unprivileged")
        self.tmp = tempfile.mkdtemp(prefix="actormq-access-")
        os.chmod(self.tmp, 0o755)
        self.binary = ACTORMQ
        if self.root:
            # The build tree may not be readable by nobody: a copy that is.
            self.binary = os.path.join(self.tmp, "actormq")
            shutil.copy(ACTORMQ, self.binary)
            os.chmod(self.binary, 0o755)

    def tearDown(self):
        for dirpath, dirnames, _ in os.walk(self.tmp):
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o700)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_broker(self, data_dir):
        cmd = [self.binary, "--port", str(free_port()), "--data-dir", data_dir]
        if self.root:
            cmd = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10, cwd=self.tmp)
        return r.returncode, r.stderr

    def unwritable_dir(self, name):
        d = os.path.join(self.tmp, name)
        os.mkdir(d)
        os.chmod(d, 0o555)
        return d

    def test_directory_not_writable(self):
        d = self.unwritable_dir("ro")
        code, err = self.run_broker(d)
        self.assertEqual(code, 1, err)
        self.assertIn("data_dir %s: directory not writable: Permission denied" % d, err)
        self.assertEqual(os.listdir(d), [])

    def test_directory_cannot_be_created(self):
        d = os.path.join(self.unwritable_dir("parent"), "data")
        code, err = self.run_broker(d)
        self.assertEqual(code, 1, err)
        self.assertIn("data_dir %s: cannot create the directory: Permission denied" % d, err)
        self.assertFalse(os.path.exists(d))

    def test_store_of_another_user(self):
        if not self.root:
            self.skipTest("needs a store owned by another user (root)")
        d = os.path.join(self.tmp, "theirs")
        os.mkdir(d)
        with Broker({"data_dir": d}):
            pass  # root's broker creates the store: files 0640, owned by root
        os.chmod(d, 0o777)  # the directory is writable, its files are not
        code, err = self.run_broker(d)
        self.assertEqual(code, 1, err)
        self.assertIn("data_dir %s: cannot open or create %s/actormq.lock: Permission denied" % (d, d), err)
        self.assertEqual(os.stat(os.path.join(d, "data.mdb")).st_uid, 0)


if __name__ == "__main__":
    main()
