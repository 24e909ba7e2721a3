"""Helpers of the HTTP API tests: a broker with an MQTT listener and an
http listener whose users are in a mosquitto_passwd file (ops: admin,
viewer: read only), and requests through http.client."""

import base64
import http.client
import json
import socket

from auth_util import Files
from harness import Broker, free_port


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


OPS = basic("ops", "secret")
VIEWER = basic("viewer", "look")


class ApiBroker:
    """A broker on a free MQTT port with an http listener on another
    (self.http_port); `extra` updates the http listener object, `mqtt` the
    MQTT one; with `mqtt_users` the MQTT listener checks the same users."""

    def __init__(self, extra=None, top=None, listeners=(), mqtt=None, mqtt_users=False, port=None, http_port=None):
        self.files = Files()
        pw = self.files.passwd("api_passwd", [("ops", "secret"), ("viewer", "look")])
        self.http_port = http_port or free_port()
        http_listener = {"type": "http", "bind": "127.0.0.1", "port": self.http_port, "password_file": pw,
                         "admin_users": ["ops"]}
        http_listener.update(extra or {})
        mqtt_listener = {"type": "tcp", "bind": "127.0.0.1", "port": 1883}
        mqtt_listener.update(mqtt or {})
        if mqtt_users:
            mqtt_listener.update({"password_file": pw, "allow_anonymous": False})
        self.passwd = pw
        config = {"listeners": [mqtt_listener, http_listener] + list(listeners),
                  "allow_anonymous": True}
        config.update(top or {})
        self.broker = Broker(config, port=port)
        self.port = self.broker.port

    def conn(self, timeout=5):
        return http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)

    def request(self, method, path, headers=None, body=None, conn=None):
        """(status, headers dict lower-cased, body bytes)."""
        c = conn or self.conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if conn is None:
                c.close()

    def get_json(self, path, headers=OPS):
        status, _, body = self.request("GET", path, headers)
        assert status == 200, (path, status, body)
        return json.loads(body)

    def raw(self, data, timeout=5):
        """Sends raw bytes on a fresh connection; returns all it answers until it closes."""
        s = socket.create_connection(("127.0.0.1", self.http_port), timeout=timeout)
        try:
            s.sendall(data)
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out
                out += chunk
        finally:
            s.close()

    def stop(self):
        code = self.broker.stop()
        self.files.cleanup()
        return code


def status_of(raw_response):
    line = raw_response.split(b"\r\n", 1)[0]
    return int(line.split(b" ")[1]) if line.startswith(b"HTTP/1.1 ") else None
