"""Sessions, takeover, retained messages, keep-alive and shutdown, in MQTT
3.1.1 and 5.0, with mosquitto clients and raw sockets."""

import signal
import time
import unittest

from harness import Broker, RawClient, Sub, connect_packet, main, pub


class Sessions(unittest.TestCase):
    def setUp(self):
        self.broker = Broker()

    def tearDown(self):
        self.broker.stop()

    def check_offline_queue(self, version):
        port = self.broker.port
        cid = "persist-" + version
        # Subscribe with a persistent session, then leave.
        first = Sub(port, "q/" + version, "-c", "-i", cid, "-q", "1", "-x" if version == "5" else "-c",
                    *(["600"] if version == "5" else []), count=1, timeout=3, version=version)
        pub(port, "q/" + version, "online", "-q", "1", version=version)
        self.assertEqual(first.lines(), [f"q/{version} online"])
        for i in range(3):
            pub(port, "q/" + version, f"offline{i}", "-q", "1", version=version)
        pub(port, "q/" + version, "qos0-dropped", "-q", "0", version=version)
        again = Sub(port, "q/" + version, "-c", "-i", cid, "-q", "1", "-x" if version == "5" else "-c",
                    *(["600"] if version == "5" else []), count=3, timeout=3, version=version)
        self.assertEqual(again.lines(), [f"q/{version} offline{i}" for i in range(3)])

    def test_offline_queue_v311(self):
        self.check_offline_queue("311")

    def test_offline_queue_v5(self):
        self.check_offline_queue("5")

    def test_clean_session_forgets(self):
        port = self.broker.port
        s = Sub(port, "clean/t", "-i", "cleaner", "-q", "1", count=1, timeout=2)
        pub(port, "clean/t", "one", "-q", "1")
        s.lines()
        pub(port, "clean/t", "lost", "-q", "1")
        again = Sub(port, "x/never", "-i", "cleaner", "-q", "1", timeout=1)
        self.assertEqual(again.lines(), [])

    def test_takeover_closes_the_first_connection(self):
        port = self.broker.port
        first = RawClient(port)
        first.send(connect_packet(b"twin", version=5))
        first.sock.settimeout(3)
        self.assertEqual(first.sock.recv(64)[0], 0x20)
        second = RawClient(port)
        second.send(connect_packet(b"twin", version=5))
        data, closed = first.recv_all(timeout=3)
        self.assertTrue(closed)
        self.assertEqual(data[0], 0xE0)  # DISCONNECT
        self.assertEqual(data[2], 0x8E)  # session taken over
        second.sock.settimeout(3)
        self.assertEqual(second.sock.recv(64)[0], 0x20)
        second.close()

    def test_takeover_v311_keeps_subscriptions(self):
        port = self.broker.port
        holder = RawClient(port)
        holder.send(connect_packet(b"taker", clean=False))
        # SUBSCRIBE take/t at QoS 1 (packet id 1).
        holder.send(b"\x82\x0b\x00\x01\x00\x06take/t\x01")
        holder.sock.settimeout(3)
        time.sleep(0.3)
        # A new connection with the same id takes the session over.
        newer = Sub(port, "take/other", "-c", "-i", "taker", "-q", "1", count=1, timeout=3)
        data, closed = holder.recv_all(timeout=3)
        holder.close()
        self.assertTrue(closed)  # the first connection was closed
        pub(port, "take/t", "moved", "-q", "1")  # its subscription now serves the new one
        self.assertEqual(newer.lines(), ["take/t moved"])

    def test_retained_store_replace_delete(self):
        port = self.broker.port
        # QoS 1: the PUBACK means the broker has taken the message, so the
        # second client's retained message is surely the later one.
        pub(port, "ret/a", "first", "-r", "-q", "1")
        pub(port, "ret/a", "second", "-r", "-q", "1")
        pub(port, "ret/b", "bee", "-r", "-q", "1")
        got = Sub(port, "ret/#", count=2, timeout=3, fmt="%t %p %r")
        self.assertEqual(sorted(got.lines()), ["ret/a second 1", "ret/b bee 1"])
        pub(port, "ret/a", "", "-r")  # empty payload deletes
        live = Sub(port, "ret/#", count=2, timeout=3, fmt="%t %p %r")
        pub(port, "ret/c", "live")
        self.assertEqual(live.lines(), ["ret/b bee 1", "ret/c live 0"])

    def test_keepalive_timeout_closes_silent_client(self):
        c = RawClient(self.broker.port)
        c.send(connect_packet(b"sleepy", keepalive=1))
        start = time.time()
        data, closed = c.recv_all(timeout=6)
        self.assertTrue(closed)
        self.assertEqual(data[0], 0x20)  # only the CONNACK, then the close
        self.assertGreaterEqual(time.time() - start, 1.0)  # never before the keep-alive

    def test_sigterm_disconnects_v5_clients_and_exits_zero(self):
        c = RawClient(self.broker.port)
        c.send(connect_packet(b"stayer", version=5))
        c.sock.settimeout(3)
        self.assertEqual(c.sock.recv(64)[0], 0x20)
        self.broker.proc.send_signal(signal.SIGTERM)
        data, closed = c.recv_all(timeout=5)
        self.assertTrue(closed)
        self.assertEqual(data[0], 0xE0)
        self.assertEqual(data[2], 0x8B)  # server shutting down
        self.assertEqual(self.broker.stop(), 0)


class SysTopics(unittest.TestCase):
    def test_sys_topics_published(self):
        with Broker(config={"sys_interval": 1}) as broker:
            pub(broker.port, "x", "y")
            s = Sub(broker.port, "$SYS/broker/#", count=60, timeout=4)
            topics = {line.split(" ", 1)[0] for line in s.lines()}
            for t in ["$SYS/broker/version", "$SYS/broker/uptime", "$SYS/broker/clients/connected",
                      "$SYS/broker/messages/received", "$SYS/broker/load/messages/received/1min"]:
                self.assertIn(t, topics)
            # A leading wildcard does not match $SYS (MQTT 4.7.2).
            hidden = Sub(broker.port, "#", count=1, timeout=2)
            self.assertEqual(hidden.lines(), [])


if __name__ == "__main__":
    main()
