"""MQTT 5 session lifetime with paho: session expiry (kept, ended at
disconnect, ended after a short expiry, changed by DISCONNECT), takeover
(0x8E to the old connection, session present for the new one), and the will
delay interval."""

import time

from harness import disconnect_packet, main
from paho_util import PacketTypes, V5TestCase, mqtt, props, session_expiry as expiry


class Sessions(V5TestCase):
    def publisher(self):
        return self.client("pub-%d" % len(self.clients))

    def subscribed_then_gone(self, cid, connect_props, disconnect_props=None):
        s = self.client(cid, clean_start=False, connect_props=connect_props)
        self.assertFalse(s.session_present)
        s.subscribe("se/%s" % cid, qos=1)
        s.disconnect(properties=disconnect_props)
        return s

    def assert_session(self, cid, present, sent=(b"m1", b"m2", b"m3")):
        """Publishes to the client's topic while it is away, then reconnects."""
        p = self.publisher()
        for m in sent:
            p.publish("se/%s" % cid, m, qos=1)
        s = self.client(cid, clean_start=False, connect_props=expiry(60))
        self.assertEqual(s.session_present, present)
        if present:
            s.wait_msgs(len(sent))
        self.assertEqual([m.payload for m in s.quiet(0.3)], list(sent) if present else [])
        return s

    def test_expiry_keeps_queued_messages(self):
        self.subscribed_then_gone("keep", expiry(60))
        s = self.assert_session("keep", True)
        # The subscription still works live.
        self.publisher().publish("se/keep", b"live", qos=1)
        self.assertEqual(s.wait_msgs(4)[-1].payload, b"live")

    def test_expiry_zero_ends_session_at_disconnect(self):
        # Raw, to see the broker close the connection after the DISCONNECT:
        # then it has ended the session. (A client that closes its side at
        # once, as paho does, may reconnect on another connection before the
        # broker has read its DISCONNECT: a takeover, legitimately present.)
        r = self.raw("zero", clean=False)  # no Session Expiry Interval: 0
        r.subscribe("se/zero", qos=1)
        r.send(disconnect_packet())
        self.assertTrue(r.recv_all(5)[1], "closed after DISCONNECT")
        self.assert_session("zero", False)

    def test_short_expiry_ends_session_after_it(self):
        self.subscribed_then_gone("short-a", expiry(2))
        self.subscribed_then_gone("short-b", expiry(2))
        self.assert_session("short-a", True)  # still there within the interval
        time.sleep(2.6)
        self.assert_session("short-b", False)

    def test_disconnect_sets_new_expiry(self):
        self.subscribed_then_gone("dz", expiry(60), props(PacketTypes.DISCONNECT, SessionExpiryInterval=0))
        self.assert_session("dz", False)
        self.subscribed_then_gone("dl", expiry(1), props(PacketTypes.DISCONNECT, SessionExpiryInterval=60))
        time.sleep(1.5)
        self.assert_session("dl", True)

    def test_disconnect_cannot_extend_zero_expiry(self):
        # MQTT 5 3.14.2.2.2: a Protocol Error; the session still ends.
        s = self.client("dx", clean_start=False)
        s.subscribe("se/dx", qos=1)
        s.c.disconnect(properties=props(PacketTypes.DISCONNECT, SessionExpiryInterval=30))
        s.wait_disconnect(3)
        time.sleep(0.2)
        self.assert_session("dx", False)

    def raw_first(self, cid, clean):
        # paho 1.6 drops the reason code of a DISCONNECT without properties
        # (it reads one only when the remaining length exceeds 2), so the old
        # connection is a raw socket. Session Expiry Interval (0x11) = 60.
        r = self.raw(cid, b"\x11\x00\x00\x00\x3c", clean)
        r.subscribe(b"to/" + cid, 1)
        return r

    def assert_taken_over(self, r):
        data, closed = r.recv_all(3)
        r.close()
        self.assertTrue(closed)
        packets, i = [], 0
        while i < len(data):  # every remaining length here fits one byte
            packets.append(data[i:i + 2 + data[i + 1]])
            i += 2 + data[i + 1]
        last = packets[-1] if packets else b""
        self.assertEqual(last[:1], b"\xe0", data)  # the last packet, nothing after it
        self.assertEqual(last[2], 0x8E, data)  # Session taken over (MQTT 5 3.1.4)

    def test_takeover(self):
        a = self.raw_first(b"to", clean=True)
        b = self.client("to", clean_start=False, connect_props=expiry(60))
        self.assertTrue(b.session_present)
        self.assert_taken_over(a)
        self.publisher().publish("to/to", b"after", qos=1)
        self.assertEqual([m.payload for m in b.wait_msgs(1)], [b"after"])
        self.assertEqual([m.payload for m in b.quiet(0.3)], [b"after"])
        self.assertEqual(b.disconnects, [])

    def test_takeover_redelivers_unacknowledged_with_properties(self):
        a = self.raw_first(b"tu", clean=False)
        p = self.publisher()
        for i in range(3):
            p.publish("to/tu", b"%d" % i, qos=1,
                      properties=props(PacketTypes.PUBLISH, UserProperty=[("i", str(i))]))
        time.sleep(0.3)  # delivered to the raw connection, which never acks
        b = self.client("tu", clean_start=False, connect_props=expiry(60))
        self.assertTrue(b.session_present)
        self.assert_taken_over(a)
        msgs = b.wait_msgs(3)
        # MQTT 5 4.4: unacknowledged messages are sent again with DUP set, properties kept.
        self.assertEqual([(m.payload, m.dup, m.properties.UserProperty) for m in msgs],
                         [(b"%d" % i, 1, [("i", str(i))]) for i in range(3)])
        p.publish("to/tu", b"new", qos=1)
        self.assertEqual([m.payload for m in b.wait_msgs(4)][3:], [b"new"])

    def test_takeover_with_clean_start_drops_session(self):
        a = self.raw_first(b"tc", clean=True)
        b = self.client("tc", clean_start=True, connect_props=expiry(60))
        self.assertFalse(b.session_present)
        self.assert_taken_over(a)
        self.publisher().publish("to/tc", b"x", qos=1)
        self.assertEqual(b.quiet(0.4), [])


class WillDelay(V5TestCase):
    def setUp(self):
        super().setUp()
        self.watch = self.client("watch")
        self.watch.subscribe("will/#", qos=1)

    def dying(self, cid, delay, session_expiry):
        c = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv5)
        c.will_set("will/" + cid, b"gone", qos=1,
                   properties=props(PacketTypes.WILLMESSAGE, WillDelayInterval=delay))
        c.connect("127.0.0.1", self.port, clean_start=True, properties=expiry(session_expiry))
        c.loop(1.0)  # CONNACK
        self.assertTrue(c.is_connected())
        c.socket().close()  # lost without DISCONNECT
        return time.time()

    def test_will_waits_for_its_delay(self):
        t0 = self.dying("wd", 2, 60)
        self.assertEqual(self.watch.quiet(1.0), [])
        msgs = self.watch.wait_msgs(1, 4)
        self.assertEqual([(m.topic, m.payload) for m in msgs], [("will/wd", b"gone")])
        self.assertGreaterEqual(time.time() - t0, 1.8)
        self.assertNotIn("WillDelayInterval", msgs[0].properties.json() if msgs[0].properties else {})

    def test_will_dropped_when_client_returns_in_time(self):
        self.dying("wr", 2, 60)
        time.sleep(0.3)
        back = self.client("wr", clean_start=False, connect_props=expiry(60))
        self.assertTrue(back.session_present)
        self.assertEqual(self.watch.quiet(2.8), [])

    def test_will_sent_when_session_ends_first(self):
        t0 = self.dying("ws", 30, 1)
        msgs = self.watch.wait_msgs(1, 4)
        self.assertEqual([m.payload for m in msgs], [b"gone"])
        self.assertLess(time.time() - t0, 3.5)

    def test_no_delay_will_at_once(self):
        t0 = self.dying("wn", 0, 60)
        self.assertEqual(len(self.watch.wait_msgs(1, 3)), 1)
        self.assertLess(time.time() - t0, 1.5)


if __name__ == "__main__":
    main()
