"""Takeover in the middle of a QoS 1 stream: what the routers had already sent
the old session, and what they route while the session changes hands, reaches
the new connection. Nothing acknowledged to the publisher is lost."""

import subprocess
import threading
import time
import unittest

import paho.mqtt.client as mqtt

from harness import Broker, _started, main

COUNT = 20000


class Collector:
    """A paho 3.1.1 client with a persistent session that records payloads."""

    def __init__(self, port, cid):
        self.got = []
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.client = mqtt.Client(client_id=cid, clean_session=False, reconnect_on_failure=False)
        self.client.on_connect = lambda c, u, f, rc: self.connected.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, keepalive=60)
        self.client.loop_start()
        if not self.connected.wait(5):
            raise AssertionError("no CONNACK")

    def _on_message(self, c, u, m):
        with self.lock:
            self.got.append(int(m.payload))

    def payloads(self):
        with self.lock:
            return list(self.got)

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()


class TakeoverStream(unittest.TestCase):
    def test_no_message_lost_across_a_takeover(self):
        with Broker({"max_queued_messages": 100000}) as broker:
            first = Collector(broker.port, "streamer")
            first.client.subscribe("stream/t", qos=1)
            time.sleep(0.3)
            lines = "".join(f"{i}\n" for i in range(COUNT))
            publisher = subprocess.Popen(
                ["mosquitto_pub", "-p", str(broker.port), "-t", "stream/t", "-q", "1", "-l"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _started.append(publisher)
            writer = threading.Thread(target=lambda: publisher.communicate(lines, timeout=120))
            writer.start()
            # Take the session over while the stream flows.
            deadline = time.time() + 20
            while len(first.payloads()) < 2000 and time.time() < deadline:
                time.sleep(0.01)
            self.assertGreater(len(first.payloads()), 0, "the stream never started")
            second = Collector(broker.port, "streamer")
            writer.join(130)
            self.assertEqual(publisher.returncode, 0)
            deadline = time.time() + 30
            while time.time() < deadline:
                if set(first.payloads()) | set(second.payloads()) >= set(range(COUNT)):
                    break
                time.sleep(0.1)
            seen = set(first.payloads()) | set(second.payloads())
            missing = sorted(set(range(COUNT)) - seen)
            self.assertEqual(missing[:20], [], f"{len(missing)} of {COUNT} lost in the takeover")
            self.assertGreater(len(second.payloads()), 0)
            first.client.loop_stop()
            second.stop()


if __name__ == "__main__":
    main()
