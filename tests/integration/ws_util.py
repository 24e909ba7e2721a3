"""A raw WebSocket client (RFC 6455) for the WebSocket tests: the upgrade
request, masked frames of any split, and frame parsing, over a plain or TLS
socket."""

import base64
import os
import socket
import struct
import time

GOOD_KEY = base64.b64encode(b"0123456789abcdef").decode()


def upgrade_request(path="/mqtt", protocol="mqtt", extra=""):
    req = ("GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, GOOD_KEY))
    if protocol:
        req += "Sec-WebSocket-Protocol: %s\r\n" % protocol
    return (req + extra + "\r\n").encode()


def frame(payload, opcode=2, fin=True, mask=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawWs:
    """A connection that has (or tries to have) done the upgrade."""

    def __init__(self, port, sock=None, timeout=5):
        self.sock = sock or socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def http_response(self, request):
        """Sends `request`; returns the response head (status line and headers)."""
        self.send(request)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head.decode(errors="replace")

    def upgrade(self, **kw):
        head = self.http_response(upgrade_request(**kw))
        assert head.startswith("HTTP/1.1 101"), head
        return head

    def recv_frame(self, timeout=3):
        """(opcode, payload) of the next whole frame, or None when closed/timed out."""
        end = time.time() + timeout
        while True:
            f = self._parse()
            if f:
                return f
            left = end - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                return None
            if not chunk:
                return None
            self.buf += chunk

    def _parse(self):
        b = self.buf
        if len(b) < 2:
            return None
        opcode, n, i = b[0] & 0x0F, b[1] & 0x7F, 2
        assert b[1] & 0x80 == 0, "server frames are never masked"
        if n == 126:
            if len(b) < 4:
                return None
            n, i = struct.unpack(">H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, i = struct.unpack(">Q", b[2:10])[0], 10
        if len(b) < i + n:
            return None
        self.buf = b[i + n:]
        return opcode, b[i:i + n]

    def mqtt_bytes(self, count, timeout=3):
        """`count` bytes of MQTT data gathered from binary frames."""
        data = b""
        while len(data) < count:
            f = self.recv_frame(timeout)
            if f is None:
                return data
            assert f[0] in (0, 2), "MQTT data in a non-binary frame: %r" % (f,)
            data += f[1]
        return data

    def closed(self, timeout=3):
        """True once the server has closed TCP (after any frames)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()
