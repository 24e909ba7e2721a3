"""The HTTP API's read side on the real binary: status without auth, Basic
auth and roles (401, 403), every resource (nodes, stats, listeners,
clients with paging and filters, a client, its subscriptions,
subscriptions), and the errors (400, 404, 405, 413, 431, 408 refused
requests close the connection; keep-alive otherwise)."""

import json
import socket
import time
import unittest

from harness import RawClient, RawV5, connect_packet, main, subscribe_packet, wait_for
from http_util import OPS, VIEWER, ApiBroker, basic, status_of


class HttpApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.api = ApiBroker()
        cls.clients = []
        # alpha (user u1, v5, two subscriptions), beta (u2, 3.1.1), gamma (u1, 3.1.1, none).
        a = RawV5(cls.api.port, b"alpha")
        cls.clients.append(a)
        a.subscribe("a/#", qos=1)
        a.subscribe("$share/g/b/+", qos=2)
        for cid, user in ((b"beta", b"u2"), (b"gamma", b"u1")):
            c = RawClient(cls.api.port)
            c.send(connect_packet(cid, 4, username=user))
            assert c.recv_packet()[0] == 0x20
            cls.clients.append(c)
        cls.clients[1].send(subscribe_packet([(b"b/1", 0)]))
        assert cls.clients[1].recv_packet()[0] == 0x90

    @classmethod
    def tearDownClass(cls):
        for c in cls.clients:
            c.close()
        assert cls.api.stop() == 0

    def test_status_needs_no_user(self):
        status, headers, body = self.api.request("GET", "/api/v1/status")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        j = json.loads(body)
        self.assertEqual(j["status"], "running")
        self.assertIn("node", j)

    def test_unauthorized_without_or_with_wrong_credentials(self):
        for headers in ({}, basic("ops", "wrong"), basic("nobody", "secret"), {"Authorization": "Bearer x"}):
            status, h, body = self.api.request("GET", "/api/v1/clients", headers)
            self.assertEqual(status, 401, headers)
            self.assertIn("Basic", h["www-authenticate"])
            self.assertEqual(json.loads(body)["code"], "UNAUTHORIZED")

    def test_viewer_reads_but_may_not_write(self):
        self.assertEqual(self.api.request("GET", "/api/v1/clients", VIEWER)[0], 200)
        status, _, body = self.api.request("DELETE", "/api/v1/clients/alpha", VIEWER)
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body)["code"], "FORBIDDEN")

    def test_method_not_allowed(self):
        status, headers, body = self.api.request("POST", "/api/v1/stats", OPS, body=b"{}")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET")
        self.assertEqual(json.loads(body)["code"], "METHOD_NOT_ALLOWED")

    def test_not_found(self):
        for path in ("/api/v1/nothing", "/api/v2/clients", "/index.htm", "/api/v1/clients/alpha/other"):
            status, _, body = self.api.request("GET", path, OPS)
            self.assertEqual(status, 404, path)
            self.assertEqual(json.loads(body)["code"], "NOT_FOUND")
        status, _, body = self.api.request("GET", "/api/v1/clients/nosuch", OPS)
        self.assertEqual(status, 404)
        self.assertIn("nosuch", json.loads(body)["message"])

    def test_nodes_stats_listeners(self):
        nodes = self.api.get_json("/api/v1/nodes")
        self.assertEqual(len(nodes), 1)
        node = nodes[0]["node"]
        self.assertEqual(nodes[0]["connections"], 3)
        self.assertEqual(nodes[0]["node_status"], "running")
        self.assertEqual(self.api.get_json("/api/v1/nodes/" + node)["node"], node)
        self.assertEqual(self.api.request("GET", "/api/v1/nodes/elsewhere", OPS)[0], 404)
        stats = self.api.get_json("/api/v1/stats")
        self.assertEqual(stats[0]["node"], node)
        self.assertEqual(stats[0]["connections.count"], 3)
        self.assertEqual(stats[0]["sessions.count"], 3)
        self.assertEqual(stats[0]["subscriptions.count"], 3)
        listeners = self.api.get_json("/api/v1/listeners")
        self.assertEqual([l["type"] for l in listeners], ["tcp", "http"])
        self.assertEqual(listeners[0]["port"], self.api.port)
        self.assertEqual(listeners[0]["current_connections"], 3)
        self.assertEqual(listeners[1]["port"], self.api.http_port)

    def test_clients_list_paging_and_filters(self):
        page = self.api.get_json("/api/v1/clients")
        self.assertEqual([c["clientid"] for c in page["data"]], ["alpha", "beta", "gamma"])
        self.assertEqual(page["meta"], {"page": 1, "limit": 100, "count": 3})
        alpha = page["data"][0]
        self.assertEqual(alpha["proto_ver"], 5)
        self.assertTrue(alpha["connected"])
        self.assertEqual(alpha["subscriptions_cnt"], 2)
        self.assertEqual(alpha["ip_address"], "127.0.0.1")
        self.assertIsNone(alpha["username"])
        second = self.api.get_json("/api/v1/clients?page=2&limit=2")
        self.assertEqual([c["clientid"] for c in second["data"]], ["gamma"])
        self.assertEqual(second["meta"], {"page": 2, "limit": 2, "count": 3})
        u1 = self.api.get_json("/api/v1/clients?username=u1")
        self.assertEqual([c["clientid"] for c in u1["data"]], ["gamma"])
        self.assertEqual(u1["meta"]["count"], 1)
        one = self.api.get_json("/api/v1/clients?clientid=beta")
        self.assertEqual([c["username"] for c in one["data"]], ["u2"])
        for bad in ("page=0", "limit=x", "limit=100000", "page=%zz"):
            status, _, body = self.api.request("GET", "/api/v1/clients?" + bad, OPS)
            self.assertEqual(status, 400, bad)
            self.assertEqual(json.loads(body)["code"], "BAD_REQUEST")

    def test_client_detail_and_subscriptions(self):
        beta = self.api.get_json("/api/v1/clients/beta")
        self.assertEqual(beta["clientid"], "beta")
        self.assertEqual(beta["proto_ver"], 4)
        self.assertEqual(beta["listener"], "tcp 127.0.0.1:%d" % self.api.port)
        subs = self.api.get_json("/api/v1/clients/alpha/subscriptions")
        self.assertEqual([(s["topic"], s["qos"]) for s in subs], [("$share/g/b/+", 2), ("a/#", 1)])
        self.assertEqual(self.api.get_json("/api/v1/clients/gamma/subscriptions"), [])

    def test_subscriptions(self):
        all_ = self.api.get_json("/api/v1/subscriptions")
        self.assertEqual([(s["clientid"], s["topic"]) for s in all_["data"]],
                         [("alpha", "$share/g/b/+"), ("alpha", "a/#"), ("beta", "b/1")])
        self.assertEqual(all_["meta"]["count"], 3)
        qos1 = self.api.get_json("/api/v1/subscriptions?qos=1")
        self.assertEqual([s["topic"] for s in qos1["data"]], ["a/#"])
        by_client = self.api.get_json("/api/v1/subscriptions?clientid=beta&topic=b%2F1")
        self.assertEqual(by_client["meta"]["count"], 1)
        self.assertEqual(self.api.request("GET", "/api/v1/subscriptions?qos=3", OPS)[0], 400)

    def test_offline_persistent_session_is_listed(self):
        c = RawV5(self.api.port, b"sleeper", connect_props=bytes([0x11, 0, 0, 0, 60]), clean=False)
        c.close()
        try:
            def offline():
                status, _, body = self.api.request("GET", "/api/v1/clients/sleeper", OPS)
                return status == 200 and not json.loads(body)["connected"]
            self.assertTrue(wait_for(offline))
            detail = self.api.get_json("/api/v1/clients/sleeper")
            self.assertEqual(detail["expiry_interval"], 60)
            self.assertIsNone(detail["ip_address"])
        finally:
            # Take it over with a clean start that ends with its connection.
            c = RawV5(self.api.port, b"sleeper")
            c.close()
            wait_for(lambda: self.api.request("GET", "/api/v1/clients/sleeper", OPS)[0] == 404)

    def test_keep_alive_serves_several_requests(self):
        conn = self.api.conn()
        try:
            for _ in range(3):
                status, headers, _ = self.api.request("GET", "/api/v1/stats", OPS, conn=conn)
                self.assertEqual(status, 200)
                self.assertNotIn("connection", headers)
        finally:
            conn.close()
        # Pipelined: both answered, in order.
        out = self.api.raw(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n"
                           b"GET /api/v1/nothing HTTP/1.1\r\nHost: x\r\nAuthorization: " +
                           OPS["Authorization"].encode() + b"\r\nConnection: close\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertIn(b"HTTP/1.1 404 Not Found\r\n", out)

    def test_malformed_requests_are_refused_and_closed(self):
        cases = [
            (b"GARBAGE\r\n\r\n", 400),
            (b"GET / HTTP/2.0\r\n\r\n", 400),
            (b"GET /api/v1/status HTTP/1.1\r\nBad Header\r\n\r\n", 400),
            (b"POST /api/v1/status HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            (bytes([0x10, 0x0c, 0x00, 0x04]) + b"MQTT\x04\x02\x00\x3c", 400),
            (b"POST /api/v1/status HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413),
            (b"GET /api/v1/status HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431),
        ]
        for data, expected in cases:
            out = self.api.raw(data)
            self.assertEqual(status_of(out), expected, data[:40])
            self.assertIn(b"Connection: close\r\n", out)
            if expected != 400 or b"MQTT" not in data:
                body = out.split(b"\r\n\r\n", 1)[1]
                self.assertIn("code", json.loads(body))
        # The broker and its MQTT clients carry on.
        self.assertEqual(self.api.get_json("/api/v1/stats")[0]["connections.count"], 3)

    def test_a_body_is_read_before_the_next_request(self):
        out = self.api.raw(b"POST /api/v1/stats HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                           b"GET /api/v1/status HTTP/1.1\r\nConnection: close\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 401 "))  # the POST, without a user
        self.assertIn(b"HTTP/1.1 200 OK\r\n", out)


class HttpTimeouts(unittest.TestCase):
    def test_an_incomplete_request_gets_408(self):
        # The request timeout is 10 s: a half-sent request is answered 408 and closed.
        api = ApiBroker()
        try:
            s = socket.create_connection(("127.0.0.1", api.http_port), timeout=15)
            s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n")
            start = time.time()
            out = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                out += chunk
            s.close()
            self.assertEqual(status_of(out), 408)
            self.assertGreater(time.time() - start, 8)
        finally:
            self.assertEqual(api.stop(), 0)


if __name__ == "__main__":
    main()
