"""TLS clients that reset their connection mid-handshake, while the broker's
handshake workers (tls_handshake_threads, mbedTLS) still step it: after the
ClientHello (the worker signs the ServerKeyExchange) or after the client's
key exchange (the worker computes the shared secret). Each connection's
stream must be freed once, by its owner or by the worker that held it, and
the broker goes on serving; a broker stopped with handshakes still queued
exits cleanly. Run under ASan (scripts/test.sh --sanitize) a use after free
or a leak fails the broker's exit code."""

import socket
import ssl
import struct
import time
import unittest

import tls_util
from harness import Broker, connect_packet, free_port, main, wait_port

PKI = {}
CLIENTS = 60  # per kind and round: more than one worker clears at once


def setUpModule():
    PKI["ec"] = tls_util.Pki("ec")


def tearDownModule():
    tls_util.cleanup()


def reset(sock):
    """Closes with RST (SO_LINGER 0), as a lost link shows to the broker."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Handshake:
    """A client handshake driven by hand over a plain socket (memory BIOs),
    so it can stop at any flight."""

    def __init__(self, port, ctx):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out, server_hostname="localhost")

    def step(self):
        """Sends what the client has to send next (its next flight)."""
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        self.sock.sendall(self.out.read())

    def answer(self):
        """Reads the server's flight up to its ServerHelloDone (or its end)."""
        data = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            self.inc.write(chunk)
            try:
                self.tls.do_handshake()
            except ssl.SSLWantReadError:
                if self.out.pending:
                    break  # the client's next flight is ready: the server's is whole
                continue
            break
        return data


def tls_mqtt_connect(port, ctx, client_id):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    s.sendall(connect_packet(client_id))
    data = s.recv(4)
    s.close()
    return data[:1] == b"\x20" and data[3:4] == b"\x00"


class ResetMidHandshake(unittest.TestCase):
    def broker(self, port):
        b = Broker({"tls_handshake_threads": 1, "listeners": [PKI["ec"].listener(port)]})
        if not wait_port(port):
            b.stop()
            self.fail("TLS listener did not open:\n" + b.output())
        return b

    def test_resets_after_each_flight(self):
        pki = PKI["ec"]
        ctx = pki.context()
        tp = free_port()
        with self.broker(tp) as b:
            for _ in range(3):
                # After the ClientHello: reset while the worker signs.
                hellos = [Handshake(tp, ctx) for _ in range(CLIENTS)]
                for h in hellos:
                    h.step()
                for h in hellos:
                    reset(h.sock)
                # After the key exchange: reset while the worker derives the keys.
                kex = [Handshake(tp, ctx) for _ in range(CLIENTS // 3)]
                for h in kex:
                    h.step()
                for h in kex:
                    self.assertTrue(h.answer(), "no ServerHello flight:\n" + b.output())
                    h.step()
                for h in kex:
                    reset(h.sock)
                self.assertTrue(tls_mqtt_connect(tp, ctx, b"after-resets"), b.output())
            self.assertTrue(b.alive())
            self.assertEqual(b.stop(), 0, b.output())

    def test_stop_with_handshakes_queued(self):
        pki = PKI["ec"]
        ctx = pki.context()
        tp = free_port()
        b = self.broker(tp)
        try:
            hellos = [Handshake(tp, ctx) for _ in range(CLIENTS)]
            for h in hellos:
                h.step()
            time.sleep(0.05)  # read by the broker, most still waiting for the one worker
            self.assertEqual(b.stop(), 0, b.output())
            for h in hellos:
                h.sock.close()
        finally:
            b.stop()


if __name__ == "__main__":
    main()
