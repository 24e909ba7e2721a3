"""The HTTP API's write side on the real binary: DELETE clients/{id} kicks
a client (v5: DISCONNECT 0x98 first; 3.1.1: its will goes out; an offline
persistent session ends too), POST publish routes a message as a client's
publish (QoS, base64, retained, v5 properties), and every refusal (400
naming the field, 401, 403, 404, 405)."""

import base64
import json
import shutil
import tempfile
import unittest

from harness import (RawAsserts, RawClient, RawV5, connect_packet, main, publish_packet, publishes,
                     subscribe_packet, wait_for)
from http_util import OPS, VIEWER, ApiBroker


class HttpWrite(unittest.TestCase, RawAsserts):
    @classmethod
    def setUpClass(cls):
        cls.api = ApiBroker()

    @classmethod
    def tearDownClass(cls):
        assert cls.api.stop() == 0

    def publish(self, body, headers=OPS):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = dict(headers, **{"Content-Type": "application/json"})
        status, _, out = self.api.request("POST", "/api/v1/publish", headers, body=data)
        return status, (json.loads(out) if out else None)

    def subscriber(self, client_id, topic, qos=1):
        c = RawClient(self.api.port)
        c.send(connect_packet(client_id, 4))
        assert c.recv_packet()[0] == 0x20
        c.send(subscribe_packet([(topic, qos)]))
        assert c.recv_packet()[0] == 0x90
        return c

    def gone(self, client_id):
        return wait_for(lambda: self.api.request("GET", "/api/v1/clients/" + client_id, OPS)[0] == 404)

    def test_kick_v5_client_gets_disconnect_0x98(self):
        c = RawV5(self.api.port, b"kick5")
        try:
            status, headers, body = self.api.request("DELETE", "/api/v1/clients/kick5", OPS)
            self.assertEqual(status, 204)
            self.assertEqual(body, b"")
            self.assertNotIn("content-length", headers)
            self.assert_disconnected(c, 0x98)
            self.assertTrue(self.gone("kick5"))
        finally:
            c.close()

    def test_kick_v311_client_closes_and_publishes_its_will(self):
        watcher = self.subscriber(b"will-watcher", b"wills/#")
        c = RawClient(self.api.port)
        try:
            c.send(connect_packet(b"kick4", 4, will=(b"wills/kick4", b"gone", 0, False)))
            self.assertEqual(c.recv_packet()[0], 0x20)
            self.assertEqual(self.api.request("DELETE", "/api/v1/clients/kick4", OPS)[0], 204)
            data, closed = c.recv_all()
            self.assertTrue(closed)
            self.assertEqual(data, b"")  # 3.1.1 has no DISCONNECT from the server
            got = publishes(watcher.recv_for(2))
            self.assertEqual(got, [("wills/kick4", b"gone")])
            self.assertTrue(self.gone("kick4"))
        finally:
            c.close()
            watcher.close()

    def test_kick_offline_persistent_session_ends_it(self):
        c = RawV5(self.api.port, b"sleeper", connect_props=bytes([0x11, 0, 0, 0, 60]), clean=False)
        c.close()
        self.assertTrue(wait_for(lambda: not self.api.get_json("/api/v1/clients/sleeper")["connected"]))
        self.assertEqual(self.api.request("DELETE", "/api/v1/clients/sleeper", OPS)[0], 204)
        self.assertTrue(self.gone("sleeper"))
        # Back with clean start 0: the session is not there any more.
        c = RawClient(self.api.port)
        try:
            c.send(connect_packet(b"sleeper", 5, clean=False, props=bytes([0x11, 0, 0, 0, 0])))
            ack = c.recv_packet()
            self.assertEqual(ack[0], 0x20)
            self.assertEqual(ack[1][0], 0)  # session present 0
        finally:
            c.close()

    def test_kick_refusals(self):
        status, _, body = self.api.request("DELETE", "/api/v1/clients/nobody", OPS)
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body)["code"], "NOT_FOUND")
        self.assertIn("nobody", json.loads(body)["message"])
        c = RawV5(self.api.port, b"keepme")
        try:
            self.assertEqual(self.api.request("DELETE", "/api/v1/clients/keepme", VIEWER)[0], 403)
            self.assertEqual(self.api.request("DELETE", "/api/v1/clients/keepme")[0], 401)
            status, headers, _ = self.api.request("PUT", "/api/v1/clients/keepme", OPS, body=b"{}")
            self.assertEqual(status, 405)
            self.assertEqual(headers["allow"], "GET, DELETE")
            self.assertTrue(self.api.get_json("/api/v1/clients/keepme")["connected"])
        finally:
            c.close()

    def test_publish_reaches_subscribers(self):
        s = self.subscriber(b"pub-sub", b"p/#", qos=2)
        try:
            status, body = self.publish({"topic": "p/1", "payload": "hello", "qos": 1})
            self.assertEqual(status, 200, body)
            self.assertEqual(body, {"topic": "p/1", "qos": 1, "retain": False, "payload_bytes": 5})
            first, pkt = s.recv_packet()
            self.assertEqual(first >> 4, 3)
            self.assertEqual((first >> 1) & 3, 1)  # QoS 1
            self.assertEqual(publishes([(first, pkt)]), [("p/1", b"hello")])
            raw = bytes(range(256))
            status, _ = self.publish({"topic": "p/bin", "payload": base64.b64encode(raw).decode(),
                                      "encoding": "base64"})
            self.assertEqual(status, 200)
            got = publishes(s.recv_for(1))
            self.assertEqual(got, [("p/bin", raw)])
        finally:
            s.close()

    def test_publish_retained_is_stored_with_properties(self):
        props = {"content_type": "text/plain", "message_expiry_interval": 600,
                 "user_properties": {"k": "v"}, "payload_format_indicator": 1}
        status, body = self.publish({"topic": "keep/1", "payload": "kept", "retain": True, "properties": props})
        self.assertEqual(status, 200, body)
        self.assertTrue(wait_for(lambda: self.api.request("GET", "/api/v1/retained/keep%2F1", OPS)[0] == 200))
        detail = self.api.get_json("/api/v1/retained/keep%2F1")
        self.assertEqual(base64.b64decode(detail["payload"]), b"kept")
        self.assertEqual(detail["from_clientid"], "http_api")
        self.assertEqual(detail["properties"], props)
        s = self.subscriber(b"late", b"keep/1")
        try:
            self.assertEqual(publishes(s.recv_for(1)), [("keep/1", b"kept")])
        finally:
            s.close()
        # An empty retained payload deletes it, as a client's does.
        self.assertEqual(self.publish({"topic": "keep/1", "payload": "", "retain": True})[0], 200)
        self.assertTrue(wait_for(lambda: self.api.request("GET", "/api/v1/retained/keep%2F1", OPS)[0] == 404))

    def test_publish_refusals_name_the_field(self):
        cases = [
            (b"not json", "body"),
            (b"[1]", "body"),
            ({"payload": "x"}, "topic"),
            ({"topic": 5}, "topic"),
            ({"topic": "a/+"}, "topic"),
            ({"topic": ""}, "topic"),
            ({"topic": "a", "qos": 3}, "qos"),
            ({"topic": "a", "qos": "1"}, "qos"),
            ({"topic": "a", "retain": "yes"}, "retain"),
            ({"topic": "a", "payload": 7}, "payload"),
            ({"topic": "a", "payload": "x", "encoding": "hex"}, "encoding"),
            ({"topic": "a", "payload": "!!!", "encoding": "base64"}, "payload"),
            ({"topic": "a", "properties": []}, "properties"),
            ({"topic": "a", "properties": {"topic_alias": 1}}, "properties.topic_alias"),
            ({"topic": "a", "properties": {"message_expiry_interval": -1}}, "properties.message_expiry_interval"),
            ({"topic": "a", "properties": {"response_topic": "r/#"}}, "properties.response_topic"),
            ({"topic": "a", "properties": {"user_properties": {"k": 1}}}, "properties.user_properties.k"),
        ]
        for body, field in cases:
            status, out = self.publish(body)
            self.assertEqual(status, 400, body)
            self.assertEqual(out["code"], "BAD_REQUEST")
            self.assertTrue(out["message"].startswith(field + ":"), (body, out))
        self.assertEqual(self.publish({"topic": "a"}, VIEWER)[0], 403)
        self.assertEqual(self.api.request("POST", "/api/v1/publish", body=b"{}")[0], 401)
        status, headers, _ = self.api.request("GET", "/api/v1/publish", OPS)
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "POST")


class HttpWriteLimits(unittest.TestCase):
    def test_retain_unavailable_and_packet_size(self):
        api = ApiBroker(top={"retain_available": False, "max_packet_size": 64})
        try:
            status, _, body = api.request("POST", "/api/v1/publish", OPS,
                                          body=json.dumps({"topic": "a", "retain": True}).encode())
            self.assertEqual(status, 400)
            self.assertTrue(json.loads(body)["message"].startswith("retain:"))
            status, _, body = api.request("POST", "/api/v1/publish", OPS,
                                          body=json.dumps({"topic": "a", "payload": "x" * 100}).encode())
            self.assertEqual(status, 400)
            self.assertTrue(json.loads(body)["message"].startswith("payload:"))
        finally:
            self.assertEqual(api.stop(), 0)


class HttpPublishStored(unittest.TestCase):
    def test_publish_for_an_offline_persistent_session_is_stored(self):
        # The API's message was not tied to the store: queueing it for an
        # offline persistent session followed a null writer and the broker
        # died (SIGSEGV).
        data = tempfile.mkdtemp(prefix="actormq-api-store-")
        self.addCleanup(shutil.rmtree, data, True)
        api = ApiBroker(top={"data_dir": data})
        self.addCleanup(api.stop)
        s = RawClient(api.port)
        s.send(connect_packet(b"away", 4, clean=False))
        self.assertEqual(s.recv_packet()[0], 0x20)
        s.send(subscribe_packet([(b"st/#", 1)]))
        self.assertEqual(s.recv_packet()[0], 0x90)
        s.close()
        status, _, out = api.request("POST", "/api/v1/publish", dict(OPS, **{"Content-Type": "application/json"}),
                                     body=json.dumps({"topic": "st/1", "payload": "kept", "qos": 1}).encode())
        self.assertEqual(status, 200, out)
        back = RawClient(api.port)
        self.addCleanup(back.close)
        back.send(connect_packet(b"away", 4, clean=False))
        connack = back.recv_packet()
        self.assertIsNotNone(connack, api.broker.output())  # None: the broker is gone
        self.assertEqual(connack[0], 0x20)
        self.assertEqual(publishes(back.recv_for(2)), [("st/1", b"kept")], api.broker.output())
        self.assertTrue(api.broker.alive())


if __name__ == "__main__":
    main()
