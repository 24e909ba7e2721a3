"""Node evacuation (core/evacuation.hpp, README "Node evacuation"): POST
/api/v1/evacuate on one node of a cluster while a QoS 1 stream runs. The
node refuses new clients (v5 CONNACK 0x9C with the Server Reference, 3.1.1
return code 3), sends its connected clients away (v5 DISCONNECT 0x9C with
the Server Reference, 3.1.1 closed), lets them take their sessions to the
nodes they reconnect to, moves the offline sessions left to its peers, and
reports "done" when no session is left; nothing acknowledged is lost."""

import json
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import test_cluster_routes as routes
from harness import ACTORMQ, Broker, RawV5, free_port, main, parse_packets, session_expiry_prop, wait_for
from http_util import OPS, ApiBroker
from paho_util import V5Client, mqtt, session_expiry

USE_ANOTHER_SERVER = 0x9C


class Stream:
    """QoS 1 messages 0, 1, ... on `topic` from `client`, each acknowledged
    before the next, until stopped."""

    def __init__(self, client, topic):
        self.client, self.topic = client, topic
        self.acked = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stopped.is_set() and i < 5000:
            self.client.publish(self.topic, str(i).encode(), qos=1)
            self.acked.append(i)
            i += 1
            time.sleep(0.004)

    def stop(self):
        self.stopped.set()
        self.thread.join(30)
        assert not self.thread.is_alive()
        return list(self.acked)


def ctl(api, *args, timeout=60):
    """`actormq ctl` against `api`'s HTTP API as its admin user: (exit code, stdout, stderr)."""
    r = subprocess.run([ACTORMQ, "ctl", "--api", "http://127.0.0.1:%d" % api.http_port, "--user", "ops",
                        "--password", "secret", *args], capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def numbers(*clients):
    got = []
    for c in clients:
        with c.cond:
            got += [int(m.payload) for m in c.msgs]
    return got


class ClusterEvacuate(unittest.TestCase):
    def start_cluster(self, n3_env=None):
        p1, p2, p3 = free_port(), free_port(), free_port()
        self.n1_data = tempfile.mkdtemp(prefix="actormq-evacuate-")
        self.addCleanup(shutil.rmtree, self.n1_data, True)
        top = routes.cluster("n1", p1)
        top.update({"data_dir": self.n1_data, "log_level": "info"})
        self.api = ApiBroker(top=top)
        self.addCleanup(self.api.stop)
        nodes = [self.api.broker]
        for name, port, env in (("n2", p2, None), ("n3", p3, n3_env)):
            config = routes.cluster(name, port, seeds=[p1])
            config.update({"data_dir": "data", "log_level": "info"})
            b = Broker(config, env=env)
            self.addCleanup(b.stop)
            nodes.append(b)
        n1, n2, n3 = nodes
        pairs = [(n1, "n2"), (n1, "n3"), (n2, "n1"), (n2, "n3"), (n3, "n1"), (n3, "n2")]
        self.assertTrue(wait_for(lambda: all(routes.ups(b, peer) >= 1 for b, peer in pairs), timeout=10),
                        n1.output() + n2.output() + n3.output())
        return n1, n2, n3

    def client(self, broker, cid, clean_start=True, expiry=None, version=mqtt.MQTTv5, **kw):
        c = V5Client(broker.port, cid=cid, clean_start=clean_start, version=version,
                     connect_props=session_expiry(expiry) if expiry is not None else None, **kw)
        self.addCleanup(c.close)
        return c

    def offline_sessions(self, node, cids, prefix, publisher_node, per_session):
        """Persistent sessions `cids` on `node`, each subscribed to prefix +
        its id, offline; a publisher on `publisher_node` queues
        `per_session` QoS 1 messages ("0", "1", ...) for each."""
        for cid in cids:
            c = self.client(node, cid, clean_start=False, expiry=300)
            c.subscribe(prefix + cid, qos=1)
            c.disconnect()
        p = self.client(publisher_node, "ev-pub")
        time.sleep(0.5)  # the routes reach the publisher's node
        for cid in cids:
            for k in range(per_session):
                p.publish(prefix + cid, b"%d" % k, qos=1)

    def evacuation(self):
        return self.api.get_json("/api/v1/evacuate")

    def test_evacuation_moves_every_session_and_loses_nothing(self):
        n1, n2, n3 = self.start_cluster()
        logs = lambda: n1.output()[-4000:] + n2.output()[-3000:] + n3.output()[-3000:]
        v5 = self.client(n1, "ev-v5", clean_start=False, expiry=300)
        v5.subscribe("ev/t", qos=1)
        v3 = self.client(n1, "ev-v3", clean_start=False, version=mqtt.MQTTv311)
        v3.subscribe("ev/t", qos=1)
        sleeper = self.client(n1, "ev-sleeper", clean_start=False, expiry=300)
        sleeper.subscribe("ev/t", qos=1)
        passer = self.client(n1, "ev-clean", version=mqtt.MQTTv311)
        p = self.client(n3, "ev-pub")
        self.assertTrue(routes.routes_ready(p, [v5, v3, sleeper], ["ev/t"]), logs())
        sleeper.disconnect()
        time.sleep(0.3)
        for c in (v5, v3, sleeper):
            with c.cond:
                c.msgs.clear()  # the probes
        stream = Stream(p, "ev/t")
        self.assertTrue(wait_for(lambda: len(stream.acked) >= 50, timeout=10))

        reference = "127.0.0.1:%d" % n2.port
        status, _, body = self.api.request(
            "POST", "/api/v1/evacuate", OPS,
            json.dumps({"redirect_to": reference, "connection_rate": 50, "session_rate": 50, "wait_takeover_s": 1}))
        self.assertEqual(status, 202, body)
        self.assertTrue(json.loads(body)["evacuating"])

        # Connected clients are sent away: v5 with where to go, 3.1.1 closed.
        rc, props = v5.wait_disconnect(timeout=10)
        self.assertEqual(rc, USE_ANOTHER_SERVER, logs())
        self.assertEqual(getattr(props, "ServerReference", None), reference)
        self.assertIsNotNone(v3.wait_disconnect(timeout=10))
        self.assertIsNotNone(passer.wait_disconnect(timeout=10))
        # Nobody new stays.
        late5 = self.client(n1, "ev-late", expect_ok=False)
        self.assertEqual(late5.connack[1], USE_ANOTHER_SERVER)
        self.assertEqual(late5.connack_props.get("ServerReference"), reference)
        late3 = self.client(n1, "ev-late3", version=mqtt.MQTTv311, expect_ok=False)
        self.assertEqual(late3.connack[1], 3)  # server unavailable

        # They come back where they were sent (v5) or elsewhere (3.1.1), with their sessions.
        v5b = self.client(n2, "ev-v5", clean_start=False, expiry=300)
        self.assertTrue(v5b.session_present, logs())
        v3b = self.client(n3, "ev-v3", clean_start=False, version=mqtt.MQTTv311)
        self.assertTrue(v3b.session_present, logs())

        # The offline session is moved to a peer; then the node is empty.
        self.assertTrue(wait_for(lambda: self.evacuation()["phase"] == "done", timeout=30),
                        "%s\n%s" % (self.evacuation(), logs()))
        s = self.evacuation()
        self.assertEqual(s["sessions_left"], 0)
        self.assertEqual(s["peers"], 2)
        self.assertGreaterEqual(s["disconnected"], 3)
        self.assertGreaterEqual(s["moves_asked"], 1)
        self.assertIn("session moved here from node", n2.output() + n3.output())
        time.sleep(0.5)
        acked = stream.stop()

        sleeper_b = self.client(n3, "ev-sleeper", clean_start=False, expiry=300)
        self.assertTrue(sleeper_b.session_present, logs())
        for name, clients in (("v5", (v5, v5b)), ("3.1.1", (v3, v3b)), ("offline", (sleeper_b,))):
            wait_for(lambda: set(numbers(*clients)) >= set(acked), timeout=20)
            got = numbers(*clients)
            missing = sorted(set(acked) - set(got))
            self.assertEqual(missing, [], "%s lost %d of %d: %s\n%s" % (name, len(missing), len(acked),
                                                                       missing[:20], logs()))
            print("evacuation: %s subscriber got all %d messages (%d duplicates)"
                  % (name, len(acked), len(got) - len(set(got))))

        # The evacuated node's store kept nothing of the sessions that left.
        time.sleep(0.3)
        n1.stop()
        alone = Broker({"data_dir": self.n1_data})
        self.addCleanup(alone.stop)
        self.assertIn("restored 0 sessions", alone.output())

    def test_sessions_go_to_the_peer_that_takes_them(self):
        # n3 takes no session, as a node of an earlier version that does not
        # know the request: every offline session of n1 ends up on n2.
        n1, n2, n3 = self.start_cluster(n3_env={"ACTORMQ_TEST_NO_ADOPTION": "1"})
        logs = lambda: n1.output()[-4000:] + n2.output()[-3000:] + n3.output()[-3000:]
        sleepers = ["ev-offline-%d" % i for i in range(4)]
        self.offline_sessions(n1, sleepers, "ev/off/", n2, 1)
        # With actormq ctl, which waits until the node is empty; a wrong node name does nothing.
        code, out, err = ctl(self.api, "evacuate", "n2")
        self.assertEqual(code, 1)
        self.assertIn("is node n1, not n2", err)
        self.assertEqual(self.evacuation()["phase"], "idle")
        code, out, err = ctl(self.api, "evacuate", "n1", "--wait-takeover", "0", "--timeout", "30")
        self.assertEqual(code, 0, out + err + logs())
        self.assertIn("n1 is empty after", out)
        self.assertEqual(self.evacuation()["phase"], "done")
        self.assertEqual(n2.output().count("session moved here from node"), len(sleepers), logs())
        self.assertNotIn("session moved here", n3.output())
        for cid in sleepers:
            back = self.client(n3, cid, clean_start=False, expiry=300)
            self.assertTrue(back.session_present, logs())
            self.assertEqual([m.payload for m in back.wait_msgs(1)], [b"0"])

    def test_migrate_to_names_the_peers_sessions_go_to(self):
        n1, n2, n3 = self.start_cluster()
        logs = lambda: n1.output()[-4000:] + n2.output()[-3000:] + n3.output()[-3000:]
        cids = ["ev-only-%d" % i for i in range(4)]
        self.offline_sessions(n1, cids, "ev/only/", n2, 1)
        code, out, err = ctl(self.api, "evacuate", "--wait-takeover", "0", "--migrate-to", "n3", "--timeout", "30")
        self.assertEqual(code, 0, out + err + logs())
        self.assertEqual(self.evacuation()["migrate_to"], ["n3"])
        self.assertEqual(self.evacuation()["peers"], 1)
        self.assertEqual(n3.output().count("session moved here from node"), len(cids), logs())
        self.assertNotIn("session moved here", n2.output())
        for cid in cids:
            back = self.client(n2, cid, clean_start=False, expiry=300)
            self.assertTrue(back.session_present, logs())
            self.assertEqual([m.payload for m in back.wait_msgs(1)], [b"0"])

    def test_clients_coming_back_while_their_sessions_move_lose_nothing(self):
        # No wait for takeovers: the sessions move while their clients come
        # back on other nodes, each racing its own move.
        n1, n2, n3 = self.start_cluster()
        logs = lambda: n1.output()[-5000:] + n2.output()[-3000:] + n3.output()[-3000:]
        cids = ["ev-race-%02d" % i for i in range(20)]
        self.offline_sessions(n1, cids, "ev/race/", n3, 5)
        status, _, body = self.api.request(
            "POST", "/api/v1/evacuate", OPS, json.dumps({"wait_takeover_s": 0, "session_rate": 1000}))
        self.assertEqual(status, 202, body)
        back = {}
        threads = []

        def come_back(cid, node):
            back[cid] = V5Client(node.port, cid=cid, clean_start=False, connect_props=session_expiry(300))

        for i, cid in enumerate(cids):
            t = threading.Thread(target=come_back, args=(cid, (n2, n3)[i % 2]))
            t.start()
            threads.append(t)
            time.sleep(0.01)
        for t in threads:
            t.join(15)
        for c in back.values():
            self.addCleanup(c.close)
        self.assertEqual(sorted(back), cids, logs())
        for cid in cids:
            c = back[cid]
            self.assertTrue(c.session_present, "%s: no session\n%s" % (cid, logs()))
            got = sorted(set(m.payload for m in c.wait_msgs(5, timeout=10)))
            self.assertEqual(got, [b"%d" % k for k in range(5)], "%s\n%s" % (cid, logs()))
        self.assertTrue(wait_for(lambda: self.evacuation()["phase"] == "done", timeout=30), logs())
        all_logs = n1.output() + n2.output() + n3.output()
        print("race: %d of %d sessions moved by the evacuation (the others taken by their returning clients "
              "first), %d move(s) given up" % (all_logs.count("session moved here from node"), len(cids),
                                                all_logs.count("was not moved here")))

    def test_a_lone_node_reports_the_sessions_it_cannot_move_and_cancel_lets_clients_in(self):
        api = ApiBroker(top={"data_dir": "none", "log_level": "info"})
        self.addCleanup(api.stop)
        # A raw socket: paho 1.6 drops the reason code of a DISCONNECT without properties.
        keeper = RawV5(api.port, b"keeper", connect_props=session_expiry_prop(300), clean=False)
        self.addCleanup(keeper.close)
        status, _, body = api.request("POST", "/api/v1/evacuate", OPS, b'{"wait_takeover_s": 0}')
        self.assertEqual(status, 202, body)
        data, closed = keeper.recv_all(10)
        self.assertTrue(closed, data)
        self.assertEqual(parse_packets(data)[-1], (0xE0, bytes([USE_ANOTHER_SERVER])))
        # Offline, with no peer to go to: the node says so instead of "done".
        self.assertTrue(wait_for(lambda: api.get_json("/api/v1/evacuate")["phase"] == "sessions", timeout=10))
        time.sleep(0.5)
        s = api.get_json("/api/v1/evacuate")
        self.assertEqual((s["phase"], s["sessions_left"], s["peers"]), ("sessions", 1, 0), s)
        refused = V5Client(api.port, cid="x", expect_ok=False)
        self.addCleanup(refused.close)
        self.assertEqual(refused.connack[1], USE_ANOTHER_SERVER)
        self.assertNotIn("ServerReference", refused.connack_props)
        # A viewer may look, not act; a bad order names its field.
        from http_util import VIEWER
        self.assertEqual(api.request("DELETE", "/api/v1/evacuate", VIEWER)[0], 403)
        status, _, body = api.request("POST", "/api/v1/evacuate", OPS, b'{"connection_rate": 0}')
        self.assertEqual(status, 400)
        self.assertIn(b"connection_rate", body)
        # ctl waits in vain (no peer), then cancels.
        code, out, err = ctl(api, "evacuate", "--wait-takeover", "0", "--timeout", "1")
        self.assertEqual(code, 1, out + err)
        self.assertIn("no peer node takes its sessions", err)
        code, out, err = ctl(api, "evacuate", "--cancel")
        self.assertEqual(code, 0, out + err)
        self.assertIn("evacuation cancelled", out)
        self.assertEqual(api.get_json("/api/v1/evacuate")["phase"], "idle")
        back = V5Client(api.port, cid="keeper", clean_start=False, connect_props=session_expiry(300))
        self.addCleanup(back.close)
        self.assertTrue(back.session_present)


if __name__ == "__main__":
    main()
