"""Let it crash, keep the promise: when a persistent session's process crashes
(a fault injected with ACTORMQ_TEST_CRASH_TOPIC), the connection closes and its
will goes out, other clients notice nothing, and the session (subscriptions,
queued messages) is still there when the client comes back."""

import os
import time
import unittest

import paho.mqtt.client as mqtt

from harness import Broker, Sub, main, pub


class CrashKeepsSession(unittest.TestCase):
    def test_persistent_session_survives_its_process(self):
        os.environ["ACTORMQ_TEST_CRASH_TOPIC"] = "crash/me"
        try:
            broker = Broker()
        finally:
            del os.environ["ACTORMQ_TEST_CRASH_TOPIC"]
        with broker:
            bystander = Sub(broker.port, "news/#", count=2, timeout=10)
            will_watch = Sub(broker.port, "wills/victim", count=1, timeout=10)
            victim = mqtt.Client(client_id="victim", clean_session=False, protocol=mqtt.MQTTv311)
            victim.will_set("wills/victim", "victim died", qos=1)
            victim.connect("127.0.0.1", broker.port)
            victim.loop_start()
            victim.subscribe("inbox/victim", qos=1)
            time.sleep(0.3)
            pub(broker.port, "news/1", "before")
            victim.publish("crash/me", "boom", qos=0)
            time.sleep(0.5)
            victim.loop_stop()
            self.assertEqual(will_watch.lines(), ["wills/victim victim died"])
            pub(broker.port, "inbox/victim", "while away", "-q", "1")
            pub(broker.port, "news/2", "after")
            self.assertEqual(bystander.lines(), ["news/1 before", "news/2 after"])
            self.assertIn("crashed", broker.output())

            got = []
            back = mqtt.Client(client_id="victim", clean_session=False, protocol=mqtt.MQTTv311)
            flags = {}
            back.on_connect = lambda c, u, f, rc: flags.update(f)
            back.on_message = lambda c, u, m: got.append(m.payload)
            back.connect("127.0.0.1", broker.port)
            back.loop_start()
            deadline = time.time() + 5
            while not got and time.time() < deadline:
                time.sleep(0.05)
            back.loop_stop()
            self.assertEqual(flags.get("session present"), 1)
            self.assertEqual(got, [b"while away"])


if __name__ == "__main__":
    main()
