#!/usr/bin/env python3
"""Writes the scram_file line of a user for actormq's SCRAM-SHA-256
authentication (RFC 5802/7677; line format of RFC 5803):

    user:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>

Usage: scram_passwd.py USER [PASSWORD] [--iterations N] >> scram_users
(the password is asked for when not given). Only the derived keys are
stored; the broker never learns the password."""

import argparse
import base64
import getpass
import hashlib
import hmac
import os
import sys


def scram_line(user, password, iterations=4096, salt=None):
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 32)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda b: base64.b64encode(b).decode()
    return "%s:SCRAM-SHA-256$%d:%s$%s:%s" % (user, iterations, b64(salt), b64(stored_key), b64(server_key))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("user")
    ap.add_argument("password", nargs="?")
    ap.add_argument("--iterations", type=int, default=4096)
    a = ap.parse_args()
    if ":" in a.user or not a.user:
        sys.exit("scram_passwd: the user name must be non-empty and without ':'")
    if a.iterations < 4096:
        sys.exit("scram_passwd: at least 4096 iterations (RFC 7677)")
    password = a.password if a.password is not None else getpass.getpass("Password: ")
    print(scram_line(a.user, password, a.iterations))


if __name__ == "__main__":
    main()
