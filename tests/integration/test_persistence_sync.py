"""Durability sync: a publisher sends 10,000 QoS 1 messages to an offline
persistent subscriber; the broker is killed with SIGKILL at a random point and
restarted on the same data_dir. Every message the publisher had a PUBACK for
arrives, in order, none twice (a repeat would need DUP set)."""

import random
import shutil
import signal
import tempfile
import threading
import time
import unittest

import paho.mqtt.client as mqtt

from harness import Broker, main

TOTAL = 10000


class Collector:
    def __init__(self, port, cid):
        self.msgs = []
        self.cond = threading.Condition()
        self.c = mqtt.Client(client_id=cid, clean_session=False, protocol=mqtt.MQTTv311)
        self.c.on_message = self.on_message
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def on_message(self, c, u, m):
        with self.cond:
            self.msgs.append((int(m.payload), m.dup))
            self.cond.notify_all()

    def wait_quiet(self, want, timeout):
        """Until `want` messages arrived, then until none arrives for 1 s."""
        end = time.time() + timeout
        with self.cond:
            while time.time() < end:
                n = len(self.msgs)
                self.cond.wait(1.0 if n >= want else 0.2)
                if len(self.msgs) == n and n >= want:
                    break
            return list(self.msgs)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


class SyncKill(unittest.TestCase):
    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="actormq-data-")
        self.config = {"data_dir": self.data, "durability": "sync", "max_queued_messages": 2 * TOTAL}

    def tearDown(self):
        shutil.rmtree(self.data, ignore_errors=True)

    def test_acknowledged_messages_survive_kill9(self):
        broker = Broker(self.config)
        port = broker.port
        try:
            sink = mqtt.Client(client_id="sink", clean_session=False, protocol=mqtt.MQTTv311)
            sink.connect("127.0.0.1", port)
            sink.loop_start()
            rc, mid = sink.subscribe("load/#", 1)
            time.sleep(0.3)
            sink.disconnect()
            sink.loop_stop()

            acked = set()
            mid_to_seq = {}
            lock = threading.Lock()
            kill_after = random.randint(TOTAL // 5, TOTAL * 4 // 5)
            killed = threading.Event()

            def on_publish(c, u, mid):
                with lock:
                    acked.add(mid_to_seq[mid])
                    if len(acked) >= kill_after and not killed.is_set():
                        broker.proc.send_signal(signal.SIGKILL)
                        killed.set()

            pub = mqtt.Client(client_id="loader", protocol=mqtt.MQTTv311)
            pub.max_inflight_messages_set(100)
            pub.max_queued_messages_set(0)
            pub.on_publish = on_publish
            pub.connect("127.0.0.1", port)
            for seq in range(TOTAL):
                with lock:
                    info = pub.publish("load/t", str(seq), qos=1)
                    mid_to_seq[info.mid] = seq
            pub.loop_start()
            self.assertTrue(killed.wait(120), "only %d of %d acknowledged" % (len(acked), TOTAL))
            broker.proc.wait()
            time.sleep(0.2)
            pub.loop_stop()
            with lock:
                confirmed = set(acked)
            self.assertGreaterEqual(len(confirmed), kill_after)
            broker.stop()

            broker = Broker(self.config, port=port)
            sink = Collector(port, "sink")
            got = sink.wait_quiet(len(confirmed), 60)
            sink.close()
        finally:
            broker.stop(signal.SIGKILL)

        seqs = [s for s, _ in got]
        missing = sorted(confirmed - set(seqs))
        self.assertEqual(missing[:10], [], "%d acknowledged messages lost" % len(missing))
        seen = set()
        last = -1
        for seq, dup in got:
            if seq in seen:
                self.assertTrue(dup, "message %d arrived twice without DUP" % seq)
                continue
            self.assertGreater(seq, last, "out of order at %d" % seq)
            seen.add(seq)
            last = seq


if __name__ == "__main__":
    main()
