"""Persistence (LMDB, data_dir): retained messages, persistent sessions, their
queues and in-flight messages survive a restart of the broker on the same
data_dir, after SIGTERM and after kill -9; expiry runs on wall time across the
restart; a bad data_dir stops the start with a message naming it."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import ACTORMQ, Broker, free_port, RawClient, Sub, main, pub, publish_packet, run, subscribe_packet
from paho_util import V5Client, props, PacketTypes


class Restart(unittest.TestCase):
    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="actormq-data-")
        self.broker = None

    def tearDown(self):
        if self.broker is not None:
            self.broker.stop(signal.SIGKILL)
        shutil.rmtree(self.data, ignore_errors=True)

    def start(self, port=None, **config):
        cfg = {"data_dir": self.data}
        cfg.update(config)
        self.broker = Broker(cfg, port=port)
        return self.broker.port

    def restart(self, sig):
        port = self.broker.port
        code = self.broker.stop(sig)
        if sig == signal.SIGTERM:
            self.assertEqual(code, 0, self.broker.output())
        self.assertNotIn("error", self.broker.output())
        return self.start(port)

    def check_retained(self, sig):
        port = self.start()
        for i in range(20):
            pub(port, "ret/%d" % i, "v%d" % i, "-r", "-q", str(i % 3))
        pub(port, "ret/5", "", "-r")  # removes ret/5
        pub(port, "ret/6", "new", "-r", "-q", "1")  # replaces ret/6
        time.sleep(0.3)  # batch durability: the commit follows within commit_interval_ms
        port = self.restart(sig)
        got = Sub(port, "ret/#", count=19, timeout=3).lines()
        want = ["ret/%d v%d" % (i, i) for i in range(20) if i not in (5, 6)] + ["ret/6 new"]
        self.assertEqual(sorted(got), sorted(want))
        self.assertIn("loaded 19 retained messages", self.broker.output())

    def test_retained_after_sigterm(self):
        self.check_retained(signal.SIGTERM)

    def test_retained_after_kill9(self):
        self.check_retained(signal.SIGKILL)

    def check_queue(self, sig, version):
        port = self.start()
        extra = ("-c", "-i", "q" + version, "-q", "1") + (("-x", "600") if version == "5" else ())
        # Subscribe, then leave: the session stays, offline.
        Sub(port, "q/#", *extra, count=1, timeout=1, version=version).lines()
        for i in range(50):
            pub(port, "q/t", "m%d" % i, "-q", str(1 + i % 2), version=version)
        pub(port, "q/t", "zero", "-q", "0", version=version)  # QoS 0 is not queued (queue_qos0 off)
        time.sleep(0.3)
        port = self.restart(sig)
        got = Sub(port, "q/#", *extra, count=50, timeout=5, version=version).lines()
        self.assertEqual(got, ["q/t m%d" % i for i in range(50)])
        # Delivered and acknowledged: nothing comes twice.
        again = Sub(port, "q/#", *extra, timeout=1, version=version).lines()
        self.assertEqual(again, [])

    def test_queue_after_sigterm_311(self):
        self.check_queue(signal.SIGTERM, "311")

    def test_queue_after_kill9_v5(self):
        self.check_queue(signal.SIGKILL, "5")

    def test_queue_qos0_when_enabled(self):
        port = self.start(queue_qos0=True)
        extra = ("-c", "-i", "z0", "-q", "1")
        Sub(port, "z/#", *extra, count=1, timeout=1).lines()
        # One publisher for the five: order is kept per client, not across
        # clients (each mosquitto_pub may reach another router).
        r = run(["mosquitto_pub", "-p", str(port), "-t", "z/t", "-q", "0", "-l"],
                input="".join("a%d\n" % i for i in range(5)))
        self.assertEqual(r.returncode, 0, r.stderr)
        time.sleep(0.3)
        port = self.restart(signal.SIGTERM)
        self.assertEqual(Sub(port, "z/#", *extra, count=5, timeout=3).lines(), ["z/t a%d" % i for i in range(5)])

    def test_inflight_resent_with_dup_after_kill9(self):
        port = self.start()
        c = RawClient(port)
        self.assertEqual(c.connect(b"inf", clean=False), (0x20, b"\x00\x00"))
        c.send(subscribe_packet([("inf/#", 1)]))
        self.assertEqual(c.recv_packet(), (0x90, b"\x00\x01\x01"))
        pub(port, "inf/a", "first", "-q", "1")
        pub(port, "inf/a", "second", "-q", "1")
        got = [c.recv_packet(), c.recv_packet()]
        self.assertEqual([g[0] & 0xF6 for g in got], [0x32, 0x32])  # QoS 1 PUBLISH, not yet acknowledged
        c.send(b"\x40\x02" + got[0][1][7:9])  # PUBACK the first only
        time.sleep(0.3)
        c.close()
        port = self.restart(signal.SIGKILL)
        c = RawClient(port)
        self.assertEqual(c.connect(b"inf", clean=False), (0x20, b"\x01\x00"))  # session present
        first, body = c.recv_packet()
        self.assertEqual(first, 0x3A)  # PUBLISH, DUP, QoS 1
        self.assertTrue(body.endswith(b"second"), body)
        self.assertEqual(body[7:9], got[1][1][7:9])  # same packet id
        self.assertIsNone(c.recv_packet(timeout=0.5))
        c.close()

    def test_qos2_awaiting_pubrel_survives(self):
        port = self.start()
        sub = Sub(port, "x/#", "-q", "2", count=2, timeout=6)
        c = RawClient(port)
        self.assertEqual(c.connect(b"q2pub", clean=False), (0x20, b"\x00\x00"))
        c.send(publish_packet("x/y", "once", qos=2, packet_id=7))
        self.assertEqual(c.recv_packet(), (0x50, b"\x00\x07"))  # PUBREC
        time.sleep(0.3)
        c.close()
        port = self.restart(signal.SIGKILL)
        sub = Sub(port, "x/#", "-q", "2", count=1, timeout=2)
        c = RawClient(port)
        self.assertEqual(c.connect(b"q2pub", clean=False), (0x20, b"\x01\x00"))
        # The resent PUBLISH (DUP) is known: acknowledged, not routed again.
        c.send(b"\x3c" + publish_packet("x/y", "once", qos=2, packet_id=7)[1:])
        self.assertEqual(c.recv_packet(), (0x50, b"\x00\x07"))
        c.send(b"\x62\x02\x00\x07")  # PUBREL
        self.assertEqual(c.recv_packet(), (0x70, b"\x00\x07"))  # PUBCOMP
        c.close()
        self.assertEqual(sub.lines(), [])

    def test_session_expiry_runs_while_down(self):
        port = self.start()
        short = V5Client(port, "short", clean_start=False,
                         connect_props=props(PacketTypes.CONNECT, SessionExpiryInterval=2))
        short.subscribe("e/#", qos=1)
        short.close()
        long_ = V5Client(port, "long", clean_start=False,
                         connect_props=props(PacketTypes.CONNECT, SessionExpiryInterval=600))
        long_.subscribe("e/#", qos=1)
        long_.close()
        time.sleep(0.3)
        self.broker.stop(signal.SIGTERM)
        time.sleep(2.5)
        port = self.start(port)
        self.assertIn("expired: 1 sessions", self.broker.output())
        for cid, present in (("short", False), ("long", True)):
            c = V5Client(port, cid, clean_start=False,
                         connect_props=props(PacketTypes.CONNECT, SessionExpiryInterval=600))
            self.assertEqual(c.session_present, present, cid)
            c.close()

    def test_retained_message_expiry_across_restart(self):
        port = self.start()
        p = V5Client(port, "rp")
        p.publish("rx/short", b"gone", qos=1, retain=True,
                  properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=1))
        p.publish("rx/long", b"kept", qos=1, retain=True,
                  properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=600))
        p.close()
        time.sleep(0.3)
        self.broker.stop(signal.SIGTERM)
        time.sleep(1.2)
        port = self.start(port)
        self.assertEqual(Sub(port, "rx/#", timeout=1).lines(), ["rx/long kept"])

    def test_retained_message_deleted_from_store_when_it_expires(self):
        port = self.start()
        p = V5Client(port, "rs")
        p.publish("rs/short", b"gone", qos=1, retain=True,
                  properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=1))
        p.publish("rs/long", b"kept", qos=1, retain=True)
        p.close()
        time.sleep(3)  # expired (after 1 s) while the broker runs; nobody asked for it
        port = self.restart(signal.SIGTERM)
        self.assertEqual(Sub(port, "rs/#", timeout=1).lines(), ["rs/long kept"])
        # Erased by the broker's own sweep, not found expired at this start.
        self.assertIn("loaded 1 retained messages from the store", self.broker.output())
        self.assertIn("(expired: 0;", self.broker.output())

    def test_clean_session_discards_stored_state(self):
        port = self.start()
        Sub(port, "c/#", "-c", "-i", "cl", "-q", "1", count=1, timeout=1).lines()
        pub(port, "c/t", "queued", "-q", "1")
        Sub(port, "c/#", "-i", "cl", timeout=1).lines()  # clean session: the stored one is gone
        time.sleep(0.3)
        port = self.restart(signal.SIGTERM)
        self.assertIn("restored 0 sessions", self.broker.output())


class BadDataDir(unittest.TestCase):
    def run_broker(self, data_dir):
        r = subprocess.run([ACTORMQ, "--port", str(free_port()), "--data-dir", data_dir], capture_output=True, text=True,
                           timeout=10)
        return r.returncode, r.stderr

    def test_data_dir_is_a_file(self):
        with tempfile.NamedTemporaryFile() as f:
            code, err = self.run_broker(f.name)
            self.assertEqual(code, 1)
            self.assertIn("data_dir %s: not a directory" % f.name, err)

    def test_corrupt_store(self):
        d = tempfile.mkdtemp(prefix="actormq-data-")
        try:
            with open(os.path.join(d, "data.mdb"), "wb") as f:
                f.write(b"\x00garbage" * 4096)
            code, err = self.run_broker(d)
            self.assertEqual(code, 1)
            self.assertIn("data_dir %s: data.mdb is corrupt" % d, err)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_two_brokers_one_data_dir(self):
        d = tempfile.mkdtemp(prefix="actormq-data-")
        try:
            with Broker({"data_dir": d}):
                code, err = self.run_broker(d)
                self.assertEqual(code, 1)
                self.assertIn("data_dir %s: in use by another actormq process" % d, err)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
