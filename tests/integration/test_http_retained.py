"""The retained messages resource on the real binary: the list (paged,
?topic= a filter, $SYS left out of "#"), one topic's message (URL-encoded
topic, payload in base64), deleting it (admin; gone for new subscribers
and, with a data_dir, after a restart), and the refusals (400, 401, 403,
404, 405)."""

import base64
import json
import shutil
import tempfile
import unittest

from harness import RawClient, connect_packet, main, publish_packet, publishes, subscribe_packet, wait_for
from http_util import OPS, VIEWER, ApiBroker


def retain(port, topic, payload, qos=0):
    c = RawClient(port)
    try:
        c.send(connect_packet(b"retainer-" + topic.encode().replace(b"/", b"-"), 4))
        assert c.recv_packet()[0] == 0x20
        c.send(publish_packet(topic.encode(), payload, qos=qos, retain=True))
        if qos:
            assert c.recv_packet()[0] == 0x40
    finally:
        c.close()


class HttpRetained(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="actormq-retained-")
        cls.api = ApiBroker(top={"data_dir": cls.data_dir})
        for topic, payload in (("a/1", b"one"), ("a/2", b"two"), ("b/1", b"three"), ("c d/é", b"\x00\xff")):
            retain(cls.api.port, topic, payload, qos=1)
        assert wait_for(lambda: cls.api.get_json("/api/v1/retained")["meta"]["count"] == 4)

    @classmethod
    def tearDownClass(cls):
        code = cls.api.stop()
        shutil.rmtree(cls.data_dir, ignore_errors=True)
        assert code == 0

    def test_list_paging_and_filter(self):
        j = self.api.get_json("/api/v1/retained")
        self.assertEqual([e["topic"] for e in j["data"]], ["a/1", "a/2", "b/1", "c d/é"])
        first = j["data"][0]
        self.assertEqual(first["qos"], 1)
        self.assertEqual(first["payload_bytes"], 3)
        self.assertEqual(first["from_clientid"], "retainer-a-1")
        self.assertIsInstance(first["publish_at"], int)
        self.assertIn("node", first)
        self.assertNotIn("payload", first)
        j = self.api.get_json("/api/v1/retained?limit=3&page=2")
        self.assertEqual([e["topic"] for e in j["data"]], ["c d/é"])
        self.assertEqual(j["meta"], {"page": 2, "limit": 3, "count": 4})
        j = self.api.get_json("/api/v1/retained?topic=a/%2B")
        self.assertEqual([e["topic"] for e in j["data"]], ["a/1", "a/2"])
        self.assertEqual(j["meta"]["count"], 2)
        # "#" leaves $SYS out (MQTT 4.7.2); asked for, it is listed.
        j = self.api.get_json("/api/v1/retained?topic=%24SYS/broker/version")
        self.assertEqual([e["topic"] for e in j["data"]], ["$SYS/broker/version"])

    def test_get_one(self):
        j = self.api.get_json("/api/v1/retained/c%20d%2F%C3%A9")
        self.assertEqual(j["topic"], "c d/é")
        self.assertEqual(base64.b64decode(j["payload"]), b"\x00\xff")
        self.assertEqual(j["encoding"], "base64")
        self.assertEqual(j["properties"], {})
        status, _, body = self.api.request("GET", "/api/v1/retained/a%2F9", OPS)
        self.assertEqual(status, 404)
        self.assertIn("a/9", json.loads(body)["message"])
        # The viewer may read.
        self.assertEqual(self.api.request("GET", "/api/v1/retained/a%2F1", VIEWER)[0], 200)

    def test_refusals(self):
        for path in ("/api/v1/retained?topic=a/%23/b", "/api/v1/retained?page=0", "/api/v1/retained/a%2F%2B",
                     "/api/v1/retained?limit=x"):
            status, _, body = self.api.request("GET", path, OPS)
            self.assertEqual(status, 400, path)
            self.assertEqual(json.loads(body)["code"], "BAD_REQUEST")
        self.assertEqual(self.api.request("DELETE", "/api/v1/retained/a%2F1", VIEWER)[0], 403)
        self.assertEqual(self.api.request("GET", "/api/v1/retained")[0], 401)
        status, headers, _ = self.api.request("DELETE", "/api/v1/retained", OPS)
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET")
        status, headers, _ = self.api.request("POST", "/api/v1/retained/a%2F1", OPS, body=b"{}")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, DELETE")
        self.assertEqual(self.api.request("DELETE", "/api/v1/retained/zz", OPS)[0], 404)

    def test_z_delete_survives_restart(self):
        status, _, body = self.api.request("DELETE", "/api/v1/retained/b%2F1", OPS)
        self.assertEqual(status, 204, body)
        self.assertEqual(self.api.request("GET", "/api/v1/retained/b%2F1", OPS)[0], 404)
        self.assertEqual(self.api.request("DELETE", "/api/v1/retained/b%2F1", OPS)[0], 404)
        c = RawClient(self.api.port)
        try:
            c.send(connect_packet(b"late", 4))
            self.assertEqual(c.recv_packet()[0], 0x20)
            c.send(subscribe_packet([(b"b/#", 0), (b"a/1", 0)]))
            got = publishes(c.recv_for(1))
            self.assertEqual(got, [("a/1", b"one")])
        finally:
            c.close()
        self.assertEqual(self.api.stop(), 0)
        type(self).api = ApiBroker(top={"data_dir": self.data_dir})
        topics = [e["topic"] for e in self.api.get_json("/api/v1/retained")["data"]]
        self.assertEqual(topics, ["a/1", "a/2", "c d/é"])


if __name__ == "__main__":
    main()
