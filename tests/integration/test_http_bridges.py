"""The bridges resource on the real binary, with Debian's mosquitto as the
remote: the list and one bridge with their counters and state, and POST
{"enabled": false} stopping a bridge at run time (its last words reach the
remote, it dials no more, messages for the remote wait) and {"enabled":
true} starting it again (they arrive); the refusals (400, 401, 403, 404,
405). A broker without bridges lists none."""

import json
import re
import time
import unittest

from bridge_util import Mosquitto, STATE, bridge, client, messages, payloads, state_is, topic
from harness import main, wait_for
from http_util import OPS, VIEWER, ApiBroker
from test_http_metrics import parse_metrics


class HttpBridges(unittest.TestCase):
    def setUp(self):
        self.remote = Mosquitto()
        self.clients = []
        b = bridge("b1", self.remote.port, [topic("o/#", "out", 1), topic("i/#", "in", 1)], notifications=True)
        self.api = ApiBroker(top={"data_dir": "none", "bridges": [b]})
        self.assertTrue(state_is(self.api.port, "b1", "1"), self.api.broker.output())

    def tearDown(self):
        for c in self.clients:
            c.close()
        code = self.api.stop()
        self.remote.close()
        self.assertEqual(code, 0)

    def client(self, port):
        c = client(port)
        self.clients.append(c)
        return c

    def post(self, name, body, headers=OPS):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        status, _, out = self.api.request("POST", "/api/v1/bridges/" + name, headers, body=data)
        return status, json.loads(out) if out else None

    def metrics(self):
        status, _, out = self.api.request("GET", "/metrics")
        self.assertEqual(status, 200)
        return parse_metrics(out.decode())

    def connections(self):
        return len(re.findall(r"New connection from", self.remote.output()))

    def test_list_and_one_with_counters(self):
        local = self.client(self.api.port)
        remote = self.client(self.remote.port)
        remote.subscribe("o/#", qos=1)
        time.sleep(0.3)
        # The remote's state notification "1" was the first message sent.
        self.assertTrue(wait_for(lambda: self.api.get_json("/api/v1/bridges/b1")["buffered"]["messages"] == 0))
        before = self.api.get_json("/api/v1/bridges/b1")["messages"]["sent"]
        local.publish("o/1", b"x", qos=1)
        self.assertEqual(payloads(messages(remote, 1)), [("o/1", "x", 1)])
        self.assertTrue(wait_for(lambda: self.api.get_json("/api/v1/bridges/b1")["messages"]["sent"] == before + 1))
        bridges = self.api.get_json("/api/v1/bridges", VIEWER)
        self.assertEqual(len(bridges), 1)
        b = bridges[0]
        self.assertEqual((b["name"], b["type"], b["enabled"], b["state"]), ("b1", "mqtt", True, "up"))
        self.assertEqual(b["remote"], "127.0.0.1:%d" % self.remote.port)
        self.assertEqual(b["messages"], {"received": 0, "sent": before + 1, "dropped": 0})
        self.assertEqual(b["buffered"], {"messages": 0, "bytes": 0})
        self.assertIn("node", b)
        # /metrics has the same figures, one series per bridge.
        m = self.metrics()
        self.assertEqual(m['actormq_bridge_up{bridge="b1"}'], 1)
        self.assertEqual(m['actormq_bridge_enabled{bridge="b1"}'], 1)
        self.assertEqual(m['actormq_bridge_messages_sent_total{bridge="b1"}'], before + 1)
        self.assertEqual(m['actormq_bridge_messages_received_total{bridge="b1"}'], 0)
        self.assertEqual(m['actormq_bridge_messages_dropped_total{bridge="b1"}'], 0)
        self.assertEqual(m['actormq_bridge_buffered_messages{bridge="b1"}'], 0)

    def test_disable_then_enable(self):
        remote = self.client(self.remote.port)
        remote.subscribe("o/#", qos=1)
        status, b = self.post("b1", {"enabled": False})
        self.assertEqual(status, 200, b)
        self.assertFalse(b["enabled"])
        self.assertTrue(wait_for(lambda: self.api.get_json("/api/v1/bridges/b1")["state"] == "disabled"))
        # Its last words reached the remote (the state "0", then DISCONNECT), and here it is down.
        self.assertTrue(state_is(self.remote.port, "b1", "0"))
        # A DISCONNECT first: mosquitto does not log "closed its connection".
        self.assertTrue(wait_for(lambda: "Client b1 disconnected." in self.remote.output()))
        self.assertTrue(state_is(self.api.port, "b1", "0"))
        dialled = self.connections()
        self.assertGreaterEqual(dialled, 1)
        local = self.client(self.api.port)
        local.publish("o/while-off", b"w", qos=1)
        time.sleep(1.5)  # past the backoff cap (1 s): a dialling bridge would have connected again
        self.assertEqual(self.connections(), dialled)
        self.assertGreaterEqual(self.api.get_json("/api/v1/bridges/b1")["buffered"]["messages"], 1)
        m = self.metrics()
        self.assertEqual((m['actormq_bridge_up{bridge="b1"}'], m['actormq_bridge_enabled{bridge="b1"}']), (0, 0))
        self.assertGreaterEqual(m['actormq_bridge_buffered_messages{bridge="b1"}'], 1)
        status, b = self.post("b1", {"enabled": True})
        self.assertEqual(status, 200)
        self.assertTrue(b["enabled"])
        self.assertTrue(state_is(self.api.port, "b1", "1"))
        got = [p for p in payloads(messages(remote, 1)) if not p[0].startswith("$SYS")]
        self.assertIn(("o/while-off", "w", 1), got)
        self.assertEqual(self.api.get_json("/api/v1/bridges/b1")["state"], "up")
        # Enabling an enabled bridge changes nothing.
        self.assertEqual(self.post("b1", {"enabled": True})[0], 200)

    def test_refusals(self):
        for body, field in ((b"nope", "body"), (b"[]", "body"), ({}, "enabled"), ({"enabled": "no"}, "enabled"),
                            ({"enabled": True, "address": "x"}, "address")):
            status, out = self.post("b1", body)
            self.assertEqual(status, 400, body)
            self.assertTrue(out["message"].startswith(field + ":"), out)
        self.assertEqual(self.post("nosuch", {"enabled": False})[0], 404)
        self.assertEqual(self.api.request("GET", "/api/v1/bridges/nosuch", OPS)[0], 404)
        self.assertEqual(self.post("b1", {"enabled": False}, VIEWER)[0], 403)
        self.assertEqual(self.api.request("GET", "/api/v1/bridges")[0], 401)
        status, headers, _ = self.api.request("DELETE", "/api/v1/bridges/b1", OPS)
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, POST")
        self.assertEqual(self.api.request("POST", "/api/v1/bridges", OPS, body=b"{}")[0], 405)
        self.assertTrue(self.api.get_json("/api/v1/bridges/b1")["enabled"])


class NoBridges(unittest.TestCase):
    def test_empty_list(self):
        api = ApiBroker()
        try:
            self.assertEqual(api.get_json("/api/v1/bridges"), [])
            self.assertEqual(api.request("GET", "/api/v1/bridges/b1", OPS)[0], 404)
            status, _, out = api.request("GET", "/metrics")
            self.assertEqual(status, 200)
            self.assertNotIn("actormq_bridge_", out.decode())
        finally:
            self.assertEqual(api.stop(), 0)


if __name__ == "__main__":
    main()
