"""Live reconfiguration: SIGHUP and POST /api/v1/reload read the whole
configuration file again. Listeners added open, listeners removed close
(their MQTT 5 clients get DISCONNECT 0x8B) while the clients of unchanged
listeners stay connected; log_level changes at once; keys that need a
restart (data_dir) are named and keep their running value; a file that does
not parse keeps everything (the API answers 400); only admin users may
reload (403)."""

import http.client
import json
import os
import signal
import socket
import time
import unittest

from auth_util import Files
from harness import Broker, RawAsserts, RawClient, RawV5, free_port, main, publish_packet, wait_for
from http_util import OPS, VIEWER


def refused(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


class Reload(RawAsserts, unittest.TestCase):
    def setUp(self):
        self.files = Files()
        self.addCleanup(self.files.cleanup)
        self.passwd = self.files.passwd("api_passwd", [("ops", "secret"), ("viewer", "look")])
        self.http_port = free_port()
        self.http = {"type": "http", "bind": "127.0.0.1", "port": self.http_port, "password_file": self.passwd,
                     "admin_users": ["ops"]}

    def start(self, config):
        # The first tcp listener's port comes from --port (as the harness
        # starts every broker); a reload applies the same option again.
        self.config = config
        self.broker = Broker(config)
        self.addCleanup(self.broker.stop)
        self.main_port = self.broker.port

    def rewrite(self, config):
        path = os.path.join(self.broker.dir, "config.json")
        with open(path + ".new", "w") as f:
            f.write(config if isinstance(config, str) else json.dumps(config))
        os.replace(path + ".new", path)

    def sighup(self, config, expect):
        """Rewrites the file, sends SIGHUP and waits for the log line `expect`."""
        before = self.broker.output().count(expect)
        self.rewrite(config)
        self.broker.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.broker.output().count(expect) > before, 5), self.broker.output())

    def post_reload(self, headers=OPS):
        c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        try:
            c.request("POST", "/api/v1/reload", headers=headers)
            r = c.getresponse()
            return r.status, json.loads(r.read())
        finally:
            c.close()

    def tcp(self, port):
        return {"type": "tcp", "bind": "127.0.0.1", "port": port}

    def test_sighup_adds_and_removes_listeners_while_clients_stay(self):
        gone_port, added_port = free_port(), free_port()
        self.start({"data_dir": "none", "listeners": [self.tcp(1883), self.tcp(gone_port)]})
        keeper = RawV5(self.main_port, b"keeper")
        self.addCleanup(keeper.close)
        keeper.subscribe("t/#", qos=0)
        leaver = RawV5(gone_port, b"leaver")
        self.addCleanup(leaver.close)
        self.assertTrue(refused(added_port))

        self.sighup({"data_dir": "none", "listeners": [self.tcp(1883), self.tcp(added_port)]},
                    "listener tcp 127.0.0.1:%d: opened" % added_port)
        self.assertIn("listener tcp 127.0.0.1:%d: closed" % gone_port, self.broker.output())
        # The removed listener's client is told the server is going away (0x8B) and its port refuses.
        self.assert_disconnected(leaver, 0x8B)
        self.assertTrue(refused(gone_port))
        # The new listener serves, and the client of the unchanged one still receives.
        newcomer = RawV5(added_port, b"newcomer")
        self.addCleanup(newcomer.close)
        newcomer.send(publish_packet("t/1", b"through the new listener", version=5))
        self.assertIn((None, b"through the new listener"), keeper.publishes(2))
        self.assertEqual(self.broker.stop(), 0, self.broker.output())

    def test_a_changed_listener_closes_and_opens_again_on_its_port(self):
        changed = free_port()
        self.start({"data_dir": "none", "listeners": [self.tcp(1883), self.tcp(changed)]})
        old = RawV5(changed, b"old")
        self.addCleanup(old.close)
        self.sighup({"data_dir": "none",
                     "listeners": [self.tcp(1883), dict(self.tcp(changed), max_connection_rate=50)]},
                    "listener tcp 127.0.0.1:%d: opened" % changed)
        self.assertIn("listener tcp 127.0.0.1:%d: closed" % changed, self.broker.output())
        self.assert_disconnected(old, 0x8B)
        RawV5(changed, b"new").close()
        self.assertNotIn("error:", self.broker.output())

    def test_max_connections_changes_in_place_and_the_clients_stay(self):
        port = free_port()
        self.start({"data_dir": "none", "listeners": [self.tcp(1883), self.tcp(port)]})
        first = RawV5(port, b"first")
        self.addCleanup(first.close)
        first.subscribe("in/place", qos=0)
        second = RawV5(port, b"second")
        self.addCleanup(second.close)
        self.sighup({"data_dir": "none", "listeners": [self.tcp(1883), dict(self.tcp(port), max_connections=2)]},
                    "listener tcp 127.0.0.1:%d: max_connections 2 (in place" % port)
        self.assertNotIn("listener tcp 127.0.0.1:%d: closed" % port, self.broker.output())
        # Its clients stay: one still receives what another publishes.
        second.send(publish_packet("in/place", b"still here", version=5))
        self.assertIn((None, b"still here"), first.publishes(2))
        # And the new limit holds: a third connection is refused at once.
        third = RawClient(port)
        self.addCleanup(third.close)
        self.assertEqual(third.recv_all(5), (b"", True))
        self.assertTrue(wait_for(lambda: "connection refused: max_connections reached" in self.broker.output(), 5),
                        self.broker.output())

    def test_log_level_changes_at_once(self):
        self.start({"data_dir": "none", "log_level": "info", "listeners": [self.tcp(1883), self.http]})
        self.assertEqual(self.post_reload()[0], 200)  # at info: the request is not logged at debug
        self.assertNotIn("debug:", self.broker.output())
        config = dict(self.config, log_level="debug")
        self.sighup(config, "reload: log_level")
        self.assertEqual(self.post_reload()[0], 200)
        self.assertTrue(wait_for(lambda: "POST /api/v1/reload" in "".join(
            l for l in self.broker.output().splitlines(True) if "debug:" in l), 3), self.broker.output())

    def test_bad_file_keeps_everything_and_the_api_answers_400(self):
        extra = free_port()
        self.start({"data_dir": "none", "listeners": [self.tcp(1883), self.http]})
        client = RawV5(self.main_port, b"stays")
        self.addCleanup(client.close)
        client.subscribe("t/#", qos=0)
        self.sighup('{"listeners": [ not json', "not applied; the running configuration stays")
        status, body = self.post_reload()
        self.assertEqual(status, 400, body)
        self.assertEqual(body["code"], "BAD_REQUEST")
        self.assertIn("invalid JSON", body["message"])
        # A file that parses but breaks a rule is refused the same way.
        self.rewrite({"data_dir": "none", "listeners": [self.tcp(1883), self.http, self.tcp(extra)],
                      "max_inflight_messages": 0})
        status, body = self.post_reload()
        self.assertEqual(status, 400, body)
        self.assertTrue(any("max_inflight_messages" in e for e in body["errors"]), body)
        self.assertTrue(refused(extra))
        # Everything as it was: the client is still connected and served.
        other = RawV5(self.main_port, b"other")
        self.addCleanup(other.close)
        other.send(publish_packet("t/x", b"still here", version=5))
        self.assertIn((None, b"still here"), client.publishes(2))

    def test_api_reload_is_admin_only_and_reports_what_changed(self):
        added = free_port()
        self.start({"data_dir": "none", "listeners": [self.tcp(1883), self.http]})
        self.rewrite({"data_dir": "elsewhere", "max_packet_size": 4096,
                      "listeners": [self.tcp(1883), self.http, self.tcp(added)]})
        status, body = self.post_reload(VIEWER)
        self.assertEqual(status, 403, body)
        self.assertTrue(refused(added))
        status, body = self.post_reload(OPS)
        self.assertEqual(status, 200, body)
        self.assertIn("listener tcp 127.0.0.1:%d: opened" % added, body["changed"])
        self.assertIn("max_packet_size", body["changed"])
        self.assertEqual(body["needs_restart"], ["data_dir"])
        self.assertEqual(body["errors"], [])
        self.assertIn("data_dir changed in the file and needs a restart", self.broker.output())
        RawV5(added, b"on-added").close()
        c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=5)
        self.addCleanup(c.close)
        c.request("GET", "/api/v1/listeners", headers=OPS)
        ports = [l["port"] for l in json.loads(c.getresponse().read())]
        self.assertEqual(ports, [self.main_port, self.http_port, added])
        # The running data_dir stays: nothing was created at the new path.
        self.assertFalse(os.path.exists(os.path.join(self.broker.dir, "elsewhere")))

    def test_a_port_in_use_is_reported_per_listener(self):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        self.addCleanup(taken.close)
        busy, fine = taken.getsockname()[1], free_port()
        self.start({"data_dir": "none", "listeners": [self.tcp(1883), self.http]})
        self.rewrite({"data_dir": "none", "listeners": [self.tcp(1883), self.http, self.tcp(busy), self.tcp(fine)]})
        status, body = self.post_reload()
        self.assertEqual(status, 200, body)
        self.assertIn("listener tcp 127.0.0.1:%d: opened" % fine, body["changed"])
        self.assertTrue(any(e.startswith("listener tcp 127.0.0.1:%d: " % busy) for e in body["errors"]), body)
        RawV5(fine, b"fine").close()


if __name__ == "__main__":
    main()
