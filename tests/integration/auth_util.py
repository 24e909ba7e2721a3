"""Helpers of the auth/ACL/SCRAM tests: files in a temporary directory,
password lines from Debian's mosquitto_passwd, a broker start that is
expected to fail, and v5 property encoding for AUTH packets."""

import os
import subprocess
import sys
import tempfile

from harness import ACTORMQ, encode_varint, free_port, read_varint, utf8_str

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from scram_passwd import scram_line  # noqa: E402, F401 (re-exported to the tests)


class Files:
    """A temporary directory for password, ACL and SCRAM files."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="actormq-auth-")

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def passwd(self, name, users, hash_kind=None):
        """A password file made by mosquitto_passwd; users: [(user, password)]."""
        path = self.path(name)
        if os.path.exists(path):
            os.remove(path)
        for i, (user, password) in enumerate(users):
            cmd = ["mosquitto_passwd"] + (["-H", hash_kind] if hash_kind else [])
            cmd += (["-c"] if i == 0 else []) + ["-b", path, user, password]
            subprocess.run(cmd, check=True, capture_output=True)
        return path

    def cleanup(self):
        self.dir.cleanup()


def start_fails(config, files):
    """Runs the broker with `config`; returns (exit code, stderr) of a start expected to fail."""
    import json
    path = files.write("config.json", json.dumps(config))
    r = subprocess.run([ACTORMQ, "--config", path, "--port", str(free_port()), "--bind", "127.0.0.1"],
                       capture_output=True, text=True, timeout=10)
    return r.returncode, r.stderr


def prop_str(pid, s):
    return bytes([pid]) + utf8_str(s)


def prop_bin(pid, b):
    b = b.encode() if isinstance(b, str) else b
    return bytes([pid]) + len(b).to_bytes(2, "big") + b


def auth_packet(reason, method, data):
    props = prop_str(0x15, method) + prop_bin(0x16, data)
    body = bytes([reason]) + encode_varint(len(props)) + props
    return b"\xf0" + encode_varint(len(body)) + body


def parse_props(data, i):
    """The v5 property block at data[i:] as {id: value} (strings/binaries only
    decoded as bytes; one-byte, two-byte and four-byte integers as ints)."""
    length, i = read_varint(data, i)
    end = i + length
    out = {}
    while i < end:
        pid = data[i]
        i += 1
        if pid in (0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A):
            out[pid] = data[i]
            i += 1
        elif pid in (0x13, 0x21, 0x22, 0x23):
            out[pid] = int.from_bytes(data[i:i + 2], "big")
            i += 2
        elif pid in (0x02, 0x11, 0x18, 0x27):
            out[pid] = int.from_bytes(data[i:i + 4], "big")
            i += 4
        elif pid == 0x0B:
            out[pid], i = read_varint(data, i)
        elif pid == 0x26:
            n = int.from_bytes(data[i:i + 2], "big")
            i += 2 + n
            m = int.from_bytes(data[i:i + 2], "big")
            i += 2 + m
        else:
            n = int.from_bytes(data[i:i + 2], "big")
            out[pid] = data[i + 2:i + 2 + n]
            i += 2 + n
    return out, end
