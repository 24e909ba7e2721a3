"""Flow control: a subscriber that falls behind throttles its publishers, so
what the broker acknowledges is delivered instead of dropped from a full
session queue."""

import subprocess
import threading
import time
import unittest

import paho.mqtt.client as mqtt

from harness import Broker, main


class FlowControl(unittest.TestCase):
    def test_slow_subscriber_loses_no_acknowledged_message(self):
        total = 5000
        # A small queue: without throttling most of the burst would be dropped.
        with Broker(config={"max_queued_messages": 200, "max_inflight_messages": 20}) as broker:
            got = []
            done = threading.Event()
            first = threading.Event()

            def on_message(client, userdata, msg):
                if not first.is_set():
                    first.set()
                    time.sleep(0.6)  # fall behind: the broker's queue for us fills
                got.append(int(msg.payload))
                if len(got) == total:
                    done.set()

            sub = mqtt.Client(client_id="slow-sub", protocol=mqtt.MQTTv311)
            sub.on_message = on_message
            sub.connect("127.0.0.1", broker.port)
            sub.subscribe("flow/t", qos=1)
            sub.loop_start()
            time.sleep(0.3)
            lines = "".join(f"{i}\n" for i in range(total))
            r = subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-q", "1", "-t", "flow/t", "-l"],
                               input=lines, text=True, capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(done.wait(30), f"received {len(got)} of {total}")
            sub.loop_stop()
            sub.disconnect()
            self.assertEqual(got, list(range(total)))  # all, once, in order


if __name__ == "__main__":
    main()
