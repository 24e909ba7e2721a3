"""A client that resets its connection while the broker still has output for
it must end that one connection, on every transport (tcp, tls, ws, wss), with
nobody else noticing. Before the fix, closing with a backlog made the session's
close and lost-connection paths call each other until the stack overflowed."""

import socket
import ssl
import struct
import time
import unittest

from harness import Broker, connect_packet, free_port, main, publish_packet, pub, subscribe_packet, Sub, wait_port
from tls_util import Pki, cleanup
from ws_util import RawWs, frame

PKI = None
ROUNDS = 4
BIG = 60000  # bytes per echoed message: a few fill the client's small receive buffer


def setUpModule():
    global PKI
    PKI = Pki("ec")


def tearDownModule():
    cleanup()


def raw_socket(port):
    s = socket.socket()
    # A small receive window: the broker's output backs up after a few messages.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def reset(sock):
    """Closes with RST (SO_LINGER 0) instead of FIN, whatever the socket carries."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Conn:
    """MQTT bytes over one transport; `send` wraps them as the transport needs."""

    def __init__(self, kind, port):
        self.kind = kind
        self.sock = raw_socket(port)
        if kind in ("tls", "wss"):
            # The TLS socket takes over the descriptor; a reset goes through it.
            self.sock = PKI.context().wrap_socket(self.sock, server_hostname="localhost")
        if kind in ("ws", "wss"):
            self.ws = RawWs(port, sock=self.sock)
            self.ws.upgrade()

    def send(self, data):
        if self.kind in ("ws", "wss"):
            data = frame(data)
        self.sock.sendall(data)

    def reset(self):
        reset(self.sock)


def fill_backlog(conn, topic, seconds=1.5):
    """Subscribes to `topic` and publishes big messages to it without reading
    until the broker holds output it cannot write."""
    conn.send(connect_packet(b"reset-" + conn.kind.encode()))
    conn.send(subscribe_packet([(topic, 0)]))
    time.sleep(0.1)
    conn.sock.settimeout(0.2)
    end = time.time() + seconds
    msg = publish_packet(topic, b"x" * BIG)
    while time.time() < end:
        try:
            conn.send(msg)
        except (socket.timeout, ssl.SSLWantWriteError, BlockingIOError):
            break  # the broker stopped reading us: its output is surely backed up
        except OSError:
            break


class ResetWithBacklog(unittest.TestCase):
    def run_kind(self, kind):
        tcp_port = free_port()
        port = free_port()
        listeners = [{"type": "tcp", "bind": "127.0.0.1", "port": tcp_port}]
        if kind != "tcp":
            l = {"type": kind, "bind": "127.0.0.1", "port": port}
            if kind in ("tls", "wss"):
                l.update(certfile=PKI.path("server.crt"), keyfile=PKI.path("server.key"))
            if kind in ("ws", "wss"):
                l["path"] = "/mqtt"
            listeners.append(l)
        else:
            port = tcp_port
        with Broker({"listeners": listeners}, port=tcp_port) as b:
            self.assertTrue(wait_port(port))
            watcher = Sub(tcp_port, "watch/#", count=ROUNDS, timeout=30)
            for i in range(ROUNDS):
                conn = Conn(kind, port)
                fill_backlog(conn, "bl/%s/%d" % (kind, i))
                conn.reset()
                time.sleep(0.2)
                self.assertTrue(b.alive(), "broker died after reset %d on %s:\n%s" % (i, kind, b.output()[-3000:]))
                pub(tcp_port, "watch/%d" % i, "alive")
            self.assertEqual(len(watcher.lines()), ROUNDS)
            self.assertTrue(b.alive())

    def test_tcp(self):
        self.run_kind("tcp")

    def test_tls(self):
        self.run_kind("tls")

    def test_ws(self):
        self.run_kind("ws")

    def test_wss(self):
        self.run_kind("wss")

    def test_tls_reset_during_handshake(self):
        tls_port = free_port()
        listeners = [{"type": "tcp", "bind": "127.0.0.1", "port": free_port()},
                     {"type": "tls", "bind": "127.0.0.1", "port": tls_port,
                      "certfile": PKI.path("server.crt"), "keyfile": PKI.path("server.key"),
                      "cafile": PKI.path("ca.crt"), "require_certificate": True}]
        with Broker({"listeners": listeners}, port=listeners[0]["port"]) as b:
            self.assertTrue(wait_port(tls_port))
            for i in range(10):
                s = raw_socket(tls_port)
                ctx = PKI.context(cert="client")
                s.sendall(tls_client_hello(ctx))
                time.sleep(0.02 * (i % 3))
                reset(s)
            time.sleep(0.3)
            self.assertTrue(b.alive(), b.output()[-3000:])


def tls_client_hello(ctx):
    """The bytes of a ClientHello made by `ctx`."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


if __name__ == "__main__":
    main()
