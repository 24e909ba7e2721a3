"""Crash isolation: with ACTORMQ_TEST_CRASH_TOPIC set, a session publishing
there crashes; its connection closes, its will is published, the crash is
logged with the client id, and everyone else carries on. Let it crash, keep
the promise: a persistent session (subscriptions, queued messages) is still
there when the client comes back."""

import time
import unittest

import paho.mqtt.client as mqtt

from harness import Broker, RawClient, Sub, main, pub, publish_packet, will_connect

CRASH_ENV = {"ACTORMQ_TEST_CRASH_TOPIC": "crash/me"}


class Crash(unittest.TestCase):
    def test_crashing_session_isolated(self):
        b = Broker(env=CRASH_ENV)
        try:
            for v, ver in ((4, "311"), (5, "5")):
                cid = b"crasher%d" % v
                s = Sub(b.port, ["w/#", "live/#"], count=3, timeout=5, version=ver)
                other = RawClient(b.port)
                self.assertEqual(other.connect(b"other%d" % v, version=v)[0], 0x20)
                c = RawClient(b.port)
                c.send(will_connect(cid, b"w/" + cid, b"died", version=v))
                self.assertEqual(c.recv_packet()[0], 0x20)
                pub(b.port, "live/1", "before", version=ver)
                c.send(publish_packet("crash/me", "boom", version=v))
                data, closed = c.recv_all(timeout=4)
                self.assertTrue(closed)
                pub(b.port, "live/2", "after", version=ver)
                lines = s.lines()
                self.assertEqual(sorted(lines), sorted(["live/1 before", "w/%s died" % cid.decode(),
                                                        "live/2 after"]))
                self.assertNotIn("crash/me boom", lines)
                other.send(b"\xc0\x00")
                self.assertEqual(other.recv_packet(), (0xD0, b""))
                other.close()
                deadline = time.time() + 3
                while time.time() < deadline and cid.decode() not in b.output():
                    time.sleep(0.05)
                log = b.output()
                self.assertTrue(any(cid.decode() in l and "crashed" in l for l in log.splitlines()), log)
            self.assertTrue(b.alive())
        finally:
            self.assertEqual(b.stop(), 0, b.output())

    def test_persistent_session_survives_its_process(self):
        with Broker(env=CRASH_ENV) as broker:
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
