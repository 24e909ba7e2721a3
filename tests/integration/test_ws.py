"""WebSocket listeners (ws and wss): paho-mqtt over transport="websockets"
with and without TLS, mosquitto clients on the tcp side of the same broker,
MQTT bytes split anywhere across frames, ping/pong, the close handshake,
the origin allow-list, and bad input (plain HTTP, wrong path, oversized
headers and frames, text and unmasked frames, MQTT without WebSocket): each
gets a clear log line and a closed connection, nobody else notices."""

import struct
import threading
import unittest

import paho.mqtt.client as mqtt

import tls_util
from harness import (Broker, RawClient, Sub, connect_packet, free_port, main, pub, publish_packet,
                     subscribe_packet, wait_for, wait_port)
from ws_util import RawWs, frame, upgrade_request

PKI = {}


def setUpModule():
    PKI["ec"] = tls_util.Pki("ec")


def tearDownModule():
    tls_util.cleanup()


def ws_broker(listeners, ports, config=None, **kwargs):
    cfg = dict(config or {})
    cfg["listeners"] = listeners
    b = Broker(cfg, **kwargs)
    for p in ports:
        if not wait_port(p):
            b.stop()
            raise RuntimeError("listener did not open:\n" + b.output())
    return b


def ws_listener(port, type_="ws", **extra):
    l = {"type": type_, "bind": "127.0.0.1", "port": port}
    l.update(extra)
    return l


class PahoWs:
    """A paho client over WebSocket on its own network thread."""

    def __init__(self, port, cid, tls=None, version=mqtt.MQTTv311, path="/mqtt"):
        self.msgs = []
        self.cond = threading.Condition()
        self.rc = None
        self.subscribed = False
        self.c = mqtt.Client(client_id=cid, protocol=version, transport="websockets")
        self.c.ws_set_options(path=path)
        if tls is not None:
            self.c.tls_set_context(tls)
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_subscribe = self._on_subscribe
        self.c.connect("localhost", port, 30)
        self.c.loop_start()
        assert self.wait(lambda: self.rc is not None), "no CONNACK over WebSocket"
        assert self.rc == 0, "refused: %r" % self.rc

    def _on_connect(self, c, u, flags, rc, properties=None):
        with self.cond:
            self.rc = int(getattr(rc, "value", rc))
            self.cond.notify_all()

    def _on_message(self, c, u, m):
        with self.cond:
            self.msgs.append((m.topic, m.payload))
            self.cond.notify_all()

    def _on_subscribe(self, c, u, mid, granted, properties=None):
        with self.cond:
            self.subscribed = True
            self.cond.notify_all()

    def wait(self, pred, timeout=5):
        with self.cond:
            return self.cond.wait_for(pred, timeout)

    def subscribe(self, topic, qos=1):
        self.c.subscribe(topic, qos)
        assert self.wait(lambda: self.subscribed)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


class Paho(unittest.TestCase):
    def exchange(self, type_, tls=None):
        wp = free_port()
        extra = {}
        if type_ == "wss":
            pki = PKI["ec"]
            extra = {"certfile": pki.path("server.crt"), "keyfile": pki.path("server.key")}
        with ws_broker([ws_listener(wp, type_, **extra)], [wp]) as b:
            tls_ctx = PKI["ec"].context() if tls else None
            sub = PahoWs(wp, "ws-sub", tls=tls_ctx)
            sub.subscribe("w/#")
            tcp_sub = Sub(b.port, "w/#", count=3, timeout=6, fmt="%t %l")
            big = bytes(range(256)) * 400  # 100 KiB: frames far past the read buffer
            pub5 = PahoWs(wp, "ws-pub5", tls=PKI["ec"].context() if tls else None, version=mqtt.MQTTv5)
            pub5.c.publish("w/v5", b"five", qos=1).wait_for_publish(5)
            pub31 = PahoWs(wp, "ws-pub31", tls=PKI["ec"].context() if tls else None, version=mqtt.MQTTv31)
            pub31.c.publish("w/big", big, qos=1).wait_for_publish(5)
            pub(b.port, "w/tcp", "plain")
            self.assertTrue(sub.wait(lambda: len(sub.msgs) >= 3), sub.msgs)
            self.assertEqual(sorted(sub.msgs), sorted([("w/v5", b"five"), ("w/big", big), ("w/tcp", b"plain")]))
            self.assertEqual(sorted(tcp_sub.lines()), ["w/big 102400", "w/tcp 5", "w/v5 4"])
            for c in (sub, pub5, pub31):
                c.close()
            self.assertIn("(%s)" % type_, b.output())
            self.assertTrue(b.alive())

    def test_ws(self):
        self.exchange("ws")

    def test_wss(self):
        self.exchange("wss", tls=True)


class Frames(unittest.TestCase):
    def test_mqtt_split_anywhere_ping_and_close(self):
        wp = free_port()
        with ws_broker([ws_listener(wp)], [wp]) as b:
            ws = RawWs(wp)
            head = ws.upgrade()
            self.assertIn("Sec-WebSocket-Protocol: mqtt", head)
            # CONNECT in frames of 1, 2, 3 bytes, the last ones as continuation
            # frames of one fragmented message, with a ping in between.
            data = connect_packet(b"splitter")
            pieces, i, n = [], 0, 1
            while i < len(data):
                pieces.append(data[i:i + n])
                i += n
                n = n % 3 + 1
            ws.send(frame(pieces[0], opcode=2, fin=False))
            ws.send(frame(b"hi", opcode=9))  # ping between fragments
            for p in pieces[1:-1]:
                ws.send(frame(p, opcode=0, fin=False))
            ws.send(frame(pieces[-1], opcode=0, fin=True))
            self.assertEqual(ws.recv_frame(), (10, b"hi"))  # pong, same payload
            self.assertEqual(ws.mqtt_bytes(4), b"\x20\x02\x00\x00")
            # SUBSCRIBE and a PUBLISH to it together in one frame.
            ws.send(frame(subscribe_packet([("s/1", 0)]) + publish_packet("s/1", b"echo")))
            got = ws.mqtt_bytes(5 + 2 + 3 + 4)
            self.assertEqual(got[:5], b"\x90\x03\x00\x01\x00")
            self.assertEqual(got[5:], publish_packet("s/1", b"echo"))
            ws.send(frame(struct.pack(">H", 1000), opcode=8))  # close
            self.assertEqual(ws.recv_frame(), (8, struct.pack(">H", 1000)))
            self.assertTrue(ws.closed())
            self.assertTrue(b.alive())

    def test_origin_allow_list(self):
        wp = free_port()
        cfg = [ws_listener(wp, allowed_origins=["https://app.example"])]
        with ws_broker(cfg, [wp]) as b:
            ok = RawWs(wp)
            ok.upgrade(extra="Origin: https://app.example\r\n")
            ok.send(frame(connect_packet(b"o1")))
            self.assertEqual(ok.mqtt_bytes(4), b"\x20\x02\x00\x00")
            bad = RawWs(wp)
            self.assertTrue(bad.http_response(upgrade_request(extra="Origin: https://evil.example\r\n"))
                            .startswith("HTTP/1.1 403"))
            self.assertTrue(bad.closed())
            self.assertTrue(wait_for(lambda: "Origin https://evil.example not in allowed_origins" in b.output()))


class BadInput(unittest.TestCase):
    def setUp(self):
        self.wp = free_port()
        self.b = ws_broker([ws_listener(self.wp)], [self.wp], config={"max_packet_size": 1024})
        # A bystander on the same listener must notice nothing.
        self.bystander = RawWs(self.wp)
        self.bystander.upgrade()
        self.bystander.send(frame(connect_packet(b"bystander") + subscribe_packet([("by/#", 0)])))
        self.assertEqual(self.bystander.mqtt_bytes(9)[:4], b"\x20\x02\x00\x00")

    def tearDown(self):
        pub(self.b.port, "by/x", "still here")
        self.assertEqual(self.bystander.mqtt_bytes(len(publish_packet("by/x", b"still here"))),
                         publish_packet("by/x", b"still here"))
        self.bystander.close()
        self.b.stop()

    def expect_log(self, text):
        self.assertTrue(wait_for(lambda: text in self.b.output()), self.b.output())

    def expect_close(self, data, code, log):
        """Sends `data` after the upgrade: a close frame with `code` comes
        back, the connection ends, and the broker logs `log`."""
        c = RawWs(self.wp)
        c.upgrade()
        c.send(data)
        f = c.recv_frame()
        self.assertEqual(f[0], 8)
        self.assertEqual(f[1][:2], struct.pack(">H", code))
        self.assertTrue(c.closed())
        self.expect_log(log)

    def test_plain_http_gets_400(self):
        c = RawWs(self.wp)
        head = c.http_response(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        self.assertTrue(head.startswith("HTTP/1.1 400 Bad Request"), head)
        self.assertTrue(c.closed())
        self.expect_log("ws connection from 127.0.0.1")
        self.expect_log("HTTP GET request is not a WebSocket upgrade (HTTP 400)")

    def test_wrong_path_and_no_subprotocol(self):
        c = RawWs(self.wp)
        self.assertTrue(c.http_response(upgrade_request(path="/other")).startswith("HTTP/1.1 404"))
        self.assertTrue(c.closed())
        c = RawWs(self.wp)
        self.assertTrue(c.http_response(upgrade_request(protocol="chat")).startswith("HTTP/1.1 400"))
        self.assertTrue(c.closed())
        self.expect_log("no supported WebSocket subprotocol offered (mqtt, mqttv3.1)")

    def test_oversized_headers(self):
        c = RawWs(self.wp)
        c.send(b"GET /mqtt HTTP/1.1\r\n")
        head = c.http_response(b"X-Pad: " + b"a" * 10000 + b"\r\n")
        self.assertTrue(head.startswith("HTTP/1.1 431"), head)
        self.assertTrue(c.closed())
        self.expect_log("HTTP request headers larger than 8192 bytes (HTTP 431)")

    def test_mqtt_without_websocket(self):
        c = RawClient(self.wp)
        c.send(connect_packet(b"confused"))
        data, closed = c.recv_all()
        self.assertTrue(closed)
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data)
        self.expect_log("not an HTTP request (HTTP 400)")

    def test_text_frame(self):
        self.expect_close(frame(connect_packet(b"texter"), opcode=1), 1003,
                          "text frame received (MQTT needs binary frames)")

    def test_oversized_frame(self):
        self.expect_close(frame(b"\x00" * 4096), 1009, "frame larger than 1024 bytes (close 1009)")

    def test_unmasked_frame(self):
        self.expect_close(frame(connect_packet(b"nomask"), mask=False), 1002,
                          "protocol error in a frame (close 1002)")

    def test_unfinished_upgrade_times_out(self):
        self.b.stop()
        self.b = ws_broker([ws_listener(self.wp)], [self.wp], config={"connect_timeout_ms": 400})
        self.bystander = RawWs(self.wp)
        self.bystander.upgrade()
        self.bystander.send(frame(connect_packet(b"bystander") + subscribe_packet([("by/#", 0)])))
        self.assertEqual(self.bystander.mqtt_bytes(9)[:4], b"\x20\x02\x00\x00")
        c = RawWs(self.wp)
        c.send(b"GET /mqtt HTTP/1.1\r\nHost: x\r\n")
        self.assertTrue(c.closed(timeout=4))
        self.expect_log("ws connection from 127.0.0.1")
        self.expect_log("did not finish its handshake in time")


if __name__ == "__main__":
    main()
