"""Shared subscription strategies, session expiry, and configured limits."""

import time
import unittest

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from harness import Broker, RawClient, Sub, connect_packet, main, pub


def member(port, cid, flt, box):
    c = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv5)
    c.on_message = lambda cl, u, m: box.append((cid, m.payload))
    c.connect("127.0.0.1", port)
    c.subscribe(flt, qos=1)
    c.loop_start()
    return c


def publisher(port, cid):
    p = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv5)
    p.connect("127.0.0.1", port)
    p.loop_start()
    return p


class Shared(unittest.TestCase):
    def run_group(self, strategy, publishers):
        with Broker(config={"shared_subscription_strategy": strategy}) as broker:
            # Stored before anyone subscribes: on subscribe it goes to the plain
            # subscriber only, never to a shared subscription (MQTT 5 4.8.2).
            pub(broker.port, "jobs/r", "retained", "-r")
            # mosquitto_pub returns once it has sent: wait until the broker holds it.
            self.assertEqual(Sub(broker.port, "jobs/r", count=1, timeout=3).lines(), ["jobs/r retained"])
            box = []
            members = [member(broker.port, f"m{i}", "$share/g/jobs/#", box) for i in range(3)]
            plain = []
            watcher = member(broker.port, "watcher", "jobs/#", plain)
            time.sleep(0.3)
            pubs = [publisher(broker.port, f"p{i}") for i in range(publishers)]
            n = 0
            for _ in range(10):
                for p in pubs:
                    p.publish("jobs/x", f"j{n}", qos=1).wait_for_publish()
                    n += 1
            deadline = time.time() + 5
            while (len(box) < n or len(plain) < n + 1) and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            for c in members + pubs + [watcher]:
                c.loop_stop()
            return box, plain, n

    def test_round_robin_each_message_to_exactly_one_member(self):
        box, plain, n = self.run_group("round_robin", 1)
        self.assertEqual(sorted(p for _, p in box), sorted(f"j{i}".encode() for i in range(n)))
        per_member = {cid: sum(1 for c, _ in box if c == cid) for cid in ("m0", "m1", "m2")}
        self.assertTrue(all(count >= 2 for count in per_member.values()), per_member)
        # The plain subscriber sees every message plus the retained one; shared members never do.
        self.assertEqual(len(plain), n + 1)
        self.assertNotIn(b"retained", [p for _, p in box])

    def test_hash_clientid_keeps_a_publisher_on_one_member(self):
        box, plain, n = self.run_group("hash_clientid", 1)
        self.assertEqual(len(box), n)
        self.assertEqual(len({cid for cid, _ in box}), 1)


class SessionExpiry(unittest.TestCase):
    def test_short_session_expiry_ends_the_session(self):
        with Broker() as broker:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 1
            c = mqtt.Client(client_id="brief", protocol=mqtt.MQTTv5)
            c.connect("127.0.0.1", broker.port, clean_start=False, properties=props)
            c.loop_start()
            c.subscribe("brief/t", qos=1)
            time.sleep(0.3)
            c.disconnect()
            c.loop_stop()
            time.sleep(2.0)  # past the expiry
            flags = {}
            again = mqtt.Client(client_id="brief", protocol=mqtt.MQTTv5)
            again.on_connect = lambda cl, u, f, rc, p=None: flags.update(f)
            again.connect("127.0.0.1", broker.port, clean_start=False, properties=props)
            again.loop_start()
            time.sleep(0.5)
            again.loop_stop()
            self.assertEqual(flags.get("session present"), 0)


class Limits(unittest.TestCase):
    def test_max_connections(self):
        with Broker(config={"max_connections": 3}) as broker:
            held = []
            for i in range(3):
                c = RawClient(broker.port)
                c.send(connect_packet(b"held%d" % i))
                c.sock.settimeout(2)
                self.assertEqual(c.sock.recv(4)[0], 0x20)
                held.append(c)
            extra = RawClient(broker.port)
            extra.send(connect_packet(b"extra"))
            data, closed = extra.recv_all(timeout=2)
            self.assertTrue(closed)
            self.assertEqual(data, b"")
            held[0].close()
            time.sleep(0.3)
            again = RawClient(broker.port)
            again.send(connect_packet(b"again"))
            again.sock.settimeout(2)
            self.assertEqual(again.sock.recv(4)[0], 0x20)  # a freed slot is usable
            for c in held[1:] + [again, extra]:
                c.close()

    def test_max_topic_levels(self):
        with Broker(config={"max_topic_levels": 3}) as broker:
            sub = Sub(broker.port, "#", count=1, timeout=2)
            c = RawClient(broker.port)
            c.send(connect_packet(b"deep"))
            topic = b"a/b/c/d"
            body = len(topic).to_bytes(2, "big") + topic + b"x"
            c.send(b"\x30" + bytes([len(body)]) + body)
            data, closed = c.recv_all(timeout=2)
            c.close()
            self.assertTrue(closed)
            pub(broker.port, "a/b/c", "ok")
            self.assertEqual(sub.lines(), ["a/b/c ok"])


if __name__ == "__main__":
    main()
