"""Retained messages through the real broker: store, replace, delete, the
retain flag on subscribe versus live delivery."""

from harness import BrokerTestCase, RawClient, Sub, main, pub, subscribe_packet


class Retain(BrokerTestCase):
    def check_store_replace_delete(self, v):
        pub(self.port, "r/a", "first", "-r", version=v)
        pub(self.port, "r/a", "second", "-r", "-q", "1", version=v)
        # QoS 1 where a later subscriber must see the result: the PUBACK
        # comes after the retainer was told, so the subscriber's lookup
        # (another connection) is surely behind it (QoS 0 raced, once, under load).
        pub(self.port, "r/b", "bee", "-r", "-q", "1", version=v)
        s = Sub(self.port, "r/#", count=2, timeout=3, version=v, fmt="%t %r %p")
        self.assertEqual(sorted(s.lines()), ["r/a 1 second", "r/b 1 bee"])
        pub(self.port, "r/a", "", "-r", "-q", "1", version=v)
        s = Sub(self.port, "r/#", timeout=1, version=v, fmt="%t %r %p")
        self.assertEqual(s.lines(), ["r/b 1 bee"])

    def test_store_replace_delete_v311(self):
        self.check_store_replace_delete("311")

    def test_store_replace_delete_v5(self):
        self.check_store_replace_delete("5")

    def test_live_message_not_flagged_v311(self):
        c = RawClient(self.port)
        c.connect(b"live")
        c.send(subscribe_packet([("l/t", 0)]))
        self.assertEqual(c.recv_packet()[0], 0x90)
        pub(self.port, "l/t", "now", "-r")
        first, body = c.recv_packet()
        self.assertEqual(first, 0x30)  # retain bit clear for a live match [MQTT-3.3.1-9]
        self.assertEqual(body, b"\x00\x03l/tnow")
        c.close()
        c2 = RawClient(self.port)
        c2.connect(b"late")
        c2.send(subscribe_packet([("l/t", 0)]))
        self.assertEqual(c2.recv_packet()[0], 0x90)
        self.assertEqual(c2.recv_packet(), (0x31, b"\x00\x03l/tnow"))
        c2.close()

    def test_retained_qos_is_min_of_both(self):
        pub(self.port, "q/t", "x", "-r", "-q", "2")
        s = Sub(self.port, "q/t", "-q", "1", count=1, timeout=3, fmt="%q %r %p")
        self.assertEqual(s.lines(), ["1 1 x"])

    def test_empty_retained_not_stored_nor_delivered(self):
        pub(self.port, "e/t", "", "-r")
        s = Sub(self.port, "e/t", timeout=1)
        self.assertEqual(s.lines(), [])

    def test_retained_store_replace_delete(self):
        port = self.broker.port
        # QoS 1: the PUBACK means the broker has taken the message, so the
        # second client's retained message is surely the later one.
        pub(port, "ret/a", "first", "-r", "-q", "1")
        pub(port, "ret/a", "second", "-r", "-q", "1")
        pub(port, "ret/b", "bee", "-r", "-q", "1")
        got = Sub(port, "ret/#", count=2, timeout=3, fmt="%t %p %r")
        self.assertEqual(sorted(got.lines()), ["ret/a second 1", "ret/b bee 1"])
        # An empty payload deletes; QoS 1 so that the next subscriber's lookup
        # is surely behind it (at QoS 0 it raced once, under load).
        pub(port, "ret/a", "", "-r", "-q", "1")
        live = Sub(port, "ret/#", count=2, timeout=3, fmt="%t %p %r")
        pub(port, "ret/c", "live")
        self.assertEqual(live.lines(), ["ret/b bee 1", "ret/c live 0"])


if __name__ == "__main__":
    main()
