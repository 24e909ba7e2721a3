"""MQTT 5 will delay (3.1.3.2.2): the will of a lost connection waits for its
delay (or the session's end), and is dropped if the client returns first."""

import socket
import threading
import time
import unittest

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

from harness import Broker, main


def watcher(port, topic):
    got = []
    c = mqtt.Client(client_id="watcher-" + topic.replace("/", "-"), protocol=mqtt.MQTTv5)
    c.on_message = lambda cl, u, m: got.append((time.time(), m.payload))
    c.connect("127.0.0.1", port)
    c.subscribe(topic, qos=1)
    c.loop_start()
    time.sleep(0.3)
    return c, got


def dying_client(port, client_id, topic, delay, expiry):
    """A v5 client with a delayed will whose socket is then dropped without DISCONNECT."""
    c = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5)
    will_props = Properties(PacketTypes.WILLMESSAGE)
    will_props.WillDelayInterval = delay
    c.will_set(topic, b"gone", qos=1, properties=will_props)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = expiry
    connected = threading.Event()
    c.on_connect = lambda *a, **k: connected.set()
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    c.loop_start()
    assert connected.wait(5)
    c.loop_stop()
    c.socket().shutdown(socket.SHUT_RDWR)  # the connection dies; no DISCONNECT
    return time.time()


class WillDelay(unittest.TestCase):
    def test_will_waits_for_its_delay(self):
        with Broker() as broker:
            w, got = watcher(broker.port, "will/a")
            lost_at = dying_client(broker.port, "dying-a", "will/a", delay=2, expiry=60)
            time.sleep(1.0)
            self.assertEqual(got, [])  # not yet
            deadline = time.time() + 5
            while not got and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual([p for _, p in got], [b"gone"])
            self.assertGreaterEqual(got[0][0] - lost_at, 1.5)
            w.loop_stop()

    def test_will_dropped_when_client_returns_in_time(self):
        with Broker() as broker:
            w, got = watcher(broker.port, "will/b")
            dying_client(broker.port, "dying-b", "will/b", delay=2, expiry=60)
            back = mqtt.Client(client_id="dying-b", protocol=mqtt.MQTTv5)
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 60
            back.connect("127.0.0.1", broker.port, clean_start=False, properties=props)
            back.loop_start()
            time.sleep(3.0)
            self.assertEqual(got, [])
            back.disconnect()
            back.loop_stop()
            w.loop_stop()

    def test_will_goes_when_session_ends_first(self):
        with Broker() as broker:
            w, got = watcher(broker.port, "will/c")
            dying_client(broker.port, "dying-c", "will/c", delay=30, expiry=1)
            deadline = time.time() + 5
            while not got and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual([p for _, p in got], [b"gone"])
            w.loop_stop()


if __name__ == "__main__":
    main()
