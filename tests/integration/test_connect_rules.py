"""CONNECT rules: client identifiers, protocol levels, anonymous clients,
the CONNECT deadline."""

import time
import unittest

import paho.mqtt.client as mqtt

from harness import Broker, RawClient, connect_packet, main, run


def connack(port, packet):
    c = RawClient(port)
    c.send(packet)
    data, closed = c.recv_all(timeout=2)
    c.close()
    return data, closed


class ConnectRules(unittest.TestCase):
    def setUp(self):
        self.broker = Broker(config={"connect_timeout_ms": 500})

    def tearDown(self):
        self.broker.stop()

    def test_empty_client_id_v311(self):
        data, closed = connack(self.broker.port, connect_packet(b"", clean=False))
        self.assertEqual(data[:4], b"\x20\x02\x00\x02")  # identifier rejected
        self.assertTrue(closed)
        data, _ = connack(self.broker.port, connect_packet(b"", clean=True))
        self.assertEqual(data[:4], b"\x20\x02\x00\x00")  # accepted

    def test_empty_client_id_v5_is_assigned(self):
        c = mqtt.Client(client_id="", protocol=mqtt.MQTTv5)
        got = {}
        c.on_connect = lambda cl, u, f, rc, props=None: got.update(rc=rc, props=props)
        c.connect("127.0.0.1", self.broker.port)
        c.loop_start()
        time.sleep(0.5)
        c.loop_stop()
        self.assertEqual(got["rc"], 0)
        self.assertTrue(got["props"].AssignedClientIdentifier)

    def test_mqtt31_protocol_level_3(self):
        body = b"\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x04old1"
        data, _ = connack(self.broker.port, b"\x10" + bytes([len(body)]) + body)
        self.assertEqual(data[:4], b"\x20\x02\x00\x00")
        r = run(["mosquitto_pub", "-p", str(self.broker.port), "-V", "31", "-t", "v31", "-m", "x"])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_mqtt31_client_id_over_23_characters_rejected(self):
        # MQTT 3.1, CONNECT payload: a Client Identifier has 1 to 23
        # characters; a longer one is answered with CONNACK 2 (identifier
        # rejected). 3.1.1 lifted the limit ([MQTT-3.1.3-5] allows more).
        cases = ((b"x" * 23, 3, 0), ("\u00e9".encode() * 23, 3, 0), (b"x" * 24, 3, 2),
                 (b"y" * 24, 4, 0))
        for cid, level, code in cases:
            name = b"\x00\x06MQIsdp" if level == 3 else b"\x00\x04MQTT"
            body = name + bytes([level]) + b"\x02\x00\x3c" + len(cid).to_bytes(2, "big") + cid
            data, closed = connack(self.broker.port, b"\x10" + bytes([len(body)]) + body)
            self.assertEqual(data[:4], b"\x20\x02\x00" + bytes([code]), (cid, level))
            self.assertEqual(closed, code != 0, (cid, level))

    def test_connect_deadline(self):
        c = RawClient(self.broker.port)
        start = time.time()
        data, closed = c.recv_all(timeout=5)
        c.close()
        self.assertTrue(closed)
        self.assertEqual(data, b"")
        self.assertGreaterEqual(time.time() - start, 0.4)


class Anonymous(unittest.TestCase):
    def test_anonymous_refused_when_not_allowed(self):
        with Broker(config={"allow_anonymous": False}) as broker:
            data, closed = connack(broker.port, connect_packet(b"anon"))
            self.assertEqual(data[:4], b"\x20\x02\x00\x05")  # not authorized
            self.assertTrue(closed)
            data, _ = connack(broker.port, connect_packet(b"anon5", version=5))
            self.assertEqual(data[3], 0x87)  # v5: not authorized


if __name__ == "__main__":
    main()
