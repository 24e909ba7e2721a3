"""/metrics on the real binary: the Prometheus text parsed (HELP and TYPE
per family, no duplicate series) and its values checked against known
traffic (connections, sessions, subscriptions, messages, packets by type,
auth successes and failures); metrics_auth; the API over https."""

import http.client
import json
import re
import shutil
import tempfile
import time
import unittest

from harness import RawClient, connect_packet, main, publish_packet, subscribe_packet, wait_for
from http_util import OPS, VIEWER, ApiBroker
from paho_util import PacketTypes, V5Client, props, session_expiry
import tls_util

SAMPLE = re.compile(r'^([a-z_]+)(\{[a-z_]+="[^"\\]*"\})? (-?[0-9]+)$')


def parse_metrics(text):
    """{series: value}; asserts the format's rules on the way."""
    helps, types, series = set(), {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert name not in helps, name
            helps.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name in helps and name not in types, name
            assert kind in ("counter", "gauge"), line
            assert kind != "counter" or name.endswith("_total"), name
            types[name] = kind
        else:
            m = SAMPLE.match(line)
            assert m, line
            name, labels, value = m.group(1), m.group(2) or "", int(m.group(3))
            assert name in types, name
            assert name.startswith("actormq_"), name
            key = name + labels
            assert key not in series, key
            series[key] = value
    return series


def connack(port, user, password):
    c = RawClient(port)
    c.send(connect_packet(user.encode(), 4, username=user.encode(), password=password.encode()))
    pk = c.recv_packet()
    assert pk is not None and pk[0] == 0x20, pk
    return c, pk[1][1]


class Metrics(unittest.TestCase):
    def test_values_follow_known_traffic(self):
        api = ApiBroker(mqtt_users=True)
        try:
            # The MQTT listener checks the same users: two accepted, one refused.
            sub, code = connack(api.port, "viewer", "look")
            self.assertEqual(code, 0)
            pub, code = connack(api.port, "ops", "secret")
            self.assertEqual(code, 0)
            bad, code = connack(api.port, "ops", "wrong")
            self.assertEqual(code, 4)
            bad.close()
            sub.send(subscribe_packet([(b"m/#", 0)]))
            self.assertEqual(sub.recv_packet()[0], 0x90)
            for i in range(5):
                pub.send(publish_packet(b"m/x", b"payload-%d" % i))
            got = []
            wait_for(lambda: got.extend(p for p in [sub.recv_packet(0.5)] if p) or len(got) >= 5)
            self.assertEqual(len(got), 5)
            status, headers, body = api.request("GET", "/metrics")
            self.assertEqual(status, 200)
            self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
            m = parse_metrics(body.decode())
            expected = {
                "actormq_connections_count": 2,
                "actormq_sessions_count": 2,
                "actormq_subscriptions_count": 1,
                "actormq_messages_received_total": 5,
                "actormq_messages_sent_total": 5,
                "actormq_messages_dropped_total": 0,
                "actormq_client_auth_success_total": 2,
                "actormq_client_auth_failure_total": 1,
                'actormq_packets_received_total{type="connect"}': 3,
                'actormq_packets_received_total{type="publish"}': 5,
                'actormq_packets_received_total{type="subscribe"}': 1,
                'actormq_packets_sent_total{type="connack"}': 3,
                'actormq_packets_sent_total{type="suback"}': 1,
                'actormq_packets_sent_total{type="publish"}': 5,
                "actormq_authorization_allow_total": 6,  # the publishes and the subscription
                "actormq_authorization_deny_total": 0,
            }
            for key, value in expected.items():
                self.assertEqual(m.get(key), value, key)
            self.assertGreater(m["actormq_bytes_received_total"], 5 * len(b"payload-0"))
            self.assertGreater(m["actormq_bytes_sent_total"], 5 * len(b"payload-0"))
            self.assertNotIn('actormq_packets_received_total{type="connack"}', m)
            # The JSON stats agree.
            stats = api.get_json("/api/v1/stats")[0]
            self.assertEqual(stats["messages.received"], 5)
            self.assertEqual(stats["connections.count"], 2)
            sub.close()
            pub.close()
        finally:
            self.assertEqual(api.stop(), 0)

    def test_drops_by_reason_run_queues_and_the_store(self):
        api = ApiBroker(top={"data_dir": self.data_dir()})
        clients = []
        try:
            # too_large: a v5 subscriber whose Maximum Packet Size a message exceeds.
            small = V5Client(api.port, "small", connect_props=props(PacketTypes.CONNECT, MaximumPacketSize=64))
            clients.append(small)
            small.subscribe("d/big", qos=1)
            # qos0_offline and expired: a persistent session away while messages come.
            away = V5Client(api.port, "away", clean_start=False, connect_props=session_expiry(60))
            away.subscribe("d/away", qos=1)
            away.close()
            pub = V5Client(api.port, "pub")
            clients.append(pub)
            pub.publish("d/big", b"x" * 200, qos=1)
            for _ in range(3):
                pub.publish("d/away", b"q0", qos=0)
            pub.publish("d/away", b"short-lived", qos=1,
                        properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=1))
            time.sleep(1.5)
            back = V5Client(api.port, "away", clean_start=False, connect_props=session_expiry(60))
            clients.append(back)
            self.assertTrue(wait_for(lambda: self.metrics(api)['actormq_delivery_dropped_total{reason="expired"}'] == 1))
            m = self.metrics(api)
            self.assertEqual(m['actormq_delivery_dropped_total{reason="too_large"}'], 1)
            self.assertEqual(m['actormq_delivery_dropped_total{reason="qos0_offline"}'], 3)
            self.assertEqual(m['actormq_delivery_dropped_total{reason="queue_full"}'], 0)
            self.assertEqual(m["actormq_messages_dropped_total"], 5)
            queues = [k for k in m if k.startswith("actormq_scheduler_run_queue{")]
            self.assertEqual(len(queues), m["actormq_schedulers_count"])
            # The persistent session and the queued message were stored.
            self.assertTrue(wait_for(lambda: self.metrics(api)["actormq_store_commits_total"] >= 1))
            m = self.metrics(api)
            self.assertGreaterEqual(m["actormq_store_writes_total"], m["actormq_store_commits_total"])
            self.assertEqual(m["actormq_store_commit_failures_total"], 0)
            self.assertGreater(m["actormq_store_commit_microseconds_total"], 0)
        finally:
            for c in clients:
                c.close()
            self.assertEqual(api.stop(), 0)

    def test_no_store_no_store_families(self):
        api = ApiBroker(top={"data_dir": "none"})
        try:
            self.assertNotIn("actormq_store_commits_total", self.metrics(api))
        finally:
            self.assertEqual(api.stop(), 0)

    def data_dir(self):
        d = tempfile.mkdtemp(prefix="actormq-metrics-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def metrics(self, api):
        status, _, body = api.request("GET", "/metrics")
        self.assertEqual(status, 200)
        return parse_metrics(body.decode())

    def test_metrics_auth(self):
        api = ApiBroker(extra={"metrics_auth": True})
        try:
            self.assertEqual(api.request("GET", "/metrics")[0], 401)
            status, _, body = api.request("GET", "/metrics", VIEWER)
            self.assertEqual(status, 200)
            self.assertIn("actormq_connections_count", parse_metrics(body.decode()))
            self.assertEqual(api.request("GET", "/api/v1/status")[0], 200)  # still open
        finally:
            self.assertEqual(api.stop(), 0)


class Https(unittest.TestCase):
    def test_the_api_over_tls(self):
        pki = tls_util.Pki()
        try:
            api = ApiBroker(extra={"type": "https", "certfile": pki.path("server.crt"),
                                   "keyfile": pki.path("server.key")})
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", api.http_port, timeout=5,
                                                   context=pki.context(tls12=False))
                conn.request("GET", "/api/v1/status")
                r = conn.getresponse()
                self.assertEqual(r.status, 200)
                self.assertEqual(json.loads(r.read())["status"], "running")
                conn.request("GET", "/api/v1/listeners", headers=OPS)  # kept alive
                r = conn.getresponse()
                self.assertEqual(r.status, 200)
                self.assertEqual([l["type"] for l in json.loads(r.read())], ["tcp", "https"])
                conn.close()
            finally:
                self.assertEqual(api.stop(), 0)
        finally:
            tls_util.cleanup()


if __name__ == "__main__":
    main()
