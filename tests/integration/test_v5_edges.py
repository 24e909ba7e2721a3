"""MQTT 5 edge cases: retained message expiry, topic aliases per connection,
invalid alias and subscription identifier values, no-local on a shared
subscription, the broker's own Receive Maximum and Maximum Packet Size,
UNSUBACK reason codes, DISCONNECT with will (0x04), will properties."""

import time

from harness import RawClient, connect_packet, main, publish_packet, subscribe_packet
from paho_util import PacketTypes, V5TestCase, mqtt, props


class Edges(V5TestCase):
    def test_retained_message_expiry(self):
        p = self.client("re-pub")
        p.publish("re/short", b"s", qos=1, retain=True,
                  properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=1))
        p.publish("re/long", b"l", qos=1, retain=True,
                  properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=30))
        time.sleep(2.2)
        s = self.client("re-sub")
        s.subscribe("re/#", qos=1)
        msgs = s.wait_msgs(1)
        self.assertEqual([m.payload for m in s.quiet(0.3)], [b"l"])
        self.assertTrue(25 <= msgs[0].properties.MessageExpiryInterval <= 28,
                        msgs[0].properties.MessageExpiryInterval)

    def test_outbound_aliases_reset_on_new_connection(self):
        cp = props(PacketTypes.CONNECT, TopicAliasMaximum=5, SessionExpiryInterval=60)
        s = self.client("ar", clean_start=False, connect_props=cp)
        s.subscribe("ar/t", qos=1)
        p = self.client("ar-pub")
        p.publish("ar/t", b"1", qos=1)
        p.publish("ar/t", b"2", qos=1)
        s.wait_msgs(2)
        # paho acknowledges after on_message returns, on its own thread: let the
        # PUBACKs out first, or 1 and 2 are (rightly) resent on the new connection.
        time.sleep(0.3)
        s.disconnect()
        time.sleep(0.3)  # the DISCONNECT processed before 3 is routed (another connection)
        p.publish("ar/t", b"3", qos=1)  # queued while away
        s2 = self.client("ar", clean_start=False, connect_props=cp)
        p.publish("ar/t", b"4", qos=1)
        msgs = s2.wait_msgs(2)
        self.assertEqual([m.payload for m in msgs], [b"3", b"4"])
        # MQTT 5 3.3.2.3.4: alias mappings end with the connection, so the
        # first message on the new one names its topic.
        self.assertEqual(msgs[0].topic, "ar/t")

    def test_inbound_aliases_reset_on_new_connection(self):
        s = self.client("ai-sub")
        s.subscribe("ai/#", qos=1)
        p = self.client("ai-pub", clean_start=False, connect_props=props(
            PacketTypes.CONNECT, SessionExpiryInterval=60))
        p.publish("ai/t", b"1", qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=1))
        p.disconnect()
        p2 = self.client("ai-pub", clean_start=False, connect_props=props(
            PacketTypes.CONNECT, SessionExpiryInterval=60))
        p2.c.publish("", b"2", qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=1))
        self.assertIsNotNone(p2.wait_disconnect(3))
        self.assertIn(p2.disconnects[0][0], (0x82, 0x94))
        self.assertEqual([m.payload for m in s.quiet(0.4)], [b"1"])

    def test_topic_alias_zero_is_invalid(self):
        raw = self.raw(b"a0")
        # PUBLISH QoS 0 "a/t" with Topic Alias (0x23) = 0 (MQTT 5 3.3.2.3.4).
        raw.send(publish_packet("a/t", b"x", version=5, props=b"\x23\x00\x00"))
        self.assert_disconnected(raw, 0x94)

    def test_subscription_identifier_zero_is_protocol_error(self):
        raw = self.raw(b"sid0")
        # SUBSCRIBE id 1, properties: Subscription Identifier (0x0B) = 0.
        raw.send(subscribe_packet([("s/t", 1)], version=5, props=b"\x0b\x00"))
        self.assert_disconnected(raw, 0x82)

    def test_no_local_on_shared_subscription_is_protocol_error(self):
        raw = self.raw(b"nlsh")
        # Options: QoS 1 | No Local (0x04); MQTT 5 3.8.3.1.
        raw.send(subscribe_packet([("$share/g/x", 0x05)], version=5))
        self.assert_disconnected(raw, 0x82)

    def test_unsuback_reason_codes(self):
        c = self.client("us")
        c.subscribe("us/a", qos=1)
        got = {}
        c.c.on_unsubscribe = lambda cl, u, mid, p, rcs: got.setdefault(
            "rcs", [int(getattr(r, "value", r)) for r in (rcs if isinstance(rcs, list) else [rcs])])
        c.c.unsubscribe(["us/a", "us/b"])
        c._wait(lambda: "rcs" in got, 3)
        self.assertEqual(got.get("rcs"), [0x00, 0x11])  # success, no subscription existed

    def test_disconnect_with_will_message(self):
        w = self.client("dw-watch")
        w.subscribe("dw/#", qos=1)
        c = mqtt.Client(client_id="dw", protocol=mqtt.MQTTv5)
        c.will_set("dw/will", b"bye", qos=1, properties=props(
            PacketTypes.WILLMESSAGE, ContentType="text/plain", UserProperty=[("w", "1")]))
        c.connect("127.0.0.1", self.port)
        c.loop_start()
        try:
            time.sleep(0.3)
            c.disconnect(reasoncode=mqtt.ReasonCodes(PacketTypes.DISCONNECT, identifier=0x04))
        finally:
            time.sleep(0.2)
            c.loop_stop()
        msgs = w.wait_msgs(1)
        self.assertEqual([m.payload for m in msgs], [b"bye"])
        self.assertEqual(msgs[0].properties.ContentType, "text/plain")
        self.assertEqual(msgs[0].properties.UserProperty, [("w", "1")])

    def test_normal_disconnect_drops_will(self):
        w = self.client("dn-watch")
        w.subscribe("dn/#", qos=1)
        c = mqtt.Client(client_id="dn", protocol=mqtt.MQTTv5)
        c.will_set("dn/will", b"bye", qos=1)
        c.connect("127.0.0.1", self.port)
        c.loop_start()
        time.sleep(0.3)
        c.disconnect()
        time.sleep(0.2)
        c.loop_stop()
        self.assertEqual(w.quiet(0.5), [])


    def test_expiry_while_queued_behind_receive_maximum(self):
        raw = self.raw(b"eq", b"\x21\x00\x01")  # Receive Maximum 1
        raw.subscribe("eq/t", 1)
        p = self.client("eq-pub")
        p.publish("eq/t", b"first", qos=1)
        p.publish("eq/t", b"dies", qos=1, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=1))
        p.publish("eq/t", b"lives", qos=1, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=60))
        first = raw.publishes(0.5)
        self.assertEqual([x for _, x in first], [b"first"])
        time.sleep(1.8)
        raw.puback(first[0][0])
        rest = raw.publishes(0.6)
        # MQTT 5 3.3.2.3.3: a message whose expiry has passed is not delivered.
        self.assertEqual([x for _, x in rest], [b"lives"])

    def test_retained_keeps_properties_and_gets_subscription_identifier(self):
        p = self.client("rp-pub")
        p.publish("rp/t", b"v", qos=1, retain=True, properties=props(
            PacketTypes.PUBLISH, ContentType="c/t", UserProperty=[("a", "1"), ("a", "2")],
            CorrelationData=b"cd"))
        s = self.client("rp-sub")
        s.subscribe("rp/#", qos=1, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=42))
        m = s.wait_msgs(1)[0]
        self.assertEqual(m.retain, 1)
        self.assertEqual(m.properties.ContentType, "c/t")
        self.assertEqual(m.properties.UserProperty, [("a", "1"), ("a", "2")])
        self.assertEqual(m.properties.CorrelationData, b"cd")
        self.assertEqual(m.properties.SubscriptionIdentifier, [42])

    def test_shared_subscription_identifier(self):
        s = self.client("ss")
        s.subscribe("$share/g/ss/t", qos=1, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=9))
        self.client("ss-pub").publish("ss/t", b"x", qos=1)
        self.assertEqual(s.wait_msgs(1)[0].properties.SubscriptionIdentifier, [9])


    def test_reason_string_left_out_past_client_maximum_packet_size(self):
        raw = self.raw(b"mps", b"\x27\x00\x00\x00\x14")  # Maximum Packet Size 20
        # Topic Alias 500: refused with 0x94
        raw.send(publish_packet("x", b"p", version=5, props=b"\x23\x01\xf4"))
        data = self.assert_disconnected(raw, 0x94)
        # MQTT 5 3.14.2.2.3: the Reason String goes when the packet would be too large.
        self.assertLessEqual(len(data), 20, data)


    def test_wildcard_in_topic_name_disconnects_0x90(self):
        s = self.client("wn-sub")
        s.subscribe("a/#", qos=0)
        raw = self.raw(b"wn")
        raw.send(publish_packet("a/+", b"p", qos=1, version=5))  # 3.3.2.1
        self.assert_disconnected(raw, 0x90)  # Topic Name invalid
        self.assertEqual(s.quiet(0.3), [])

    def test_invalid_filters_get_0x8f(self):
        raw = self.raw(b"if")
        for pid, (f, code) in enumerate(((b"a/#/b", 0x8F), (b"a+", 0x8F), (b"ok/#", 0x01)), 1):
            raw.send(subscribe_packet([(f, 1)], packet_id=pid, version=5))
            pkt = raw.recv_packet(2)
            self.assertEqual(pkt, (0x90, pid.to_bytes(2, "big") + b"\x00" + bytes([code])), f)


class BrokerLimits(V5TestCase):
    config = {"receive_maximum": 2, "max_packet_size": 256, "max_keepalive": 1}

    def test_server_keep_alive_enforced(self):
        r = RawClient(self.port)
        try:
            r.send(connect_packet(b"ka", version=5, keepalive=60))
            t0 = time.time()
            data, closed = r.recv_all(5)
        finally:
            r.close()
        self.assertTrue(closed)
        self.assertEqual(data[:1], b"\x20")
        # CONNACK carried Server Keep Alive (0x13) = 1, and silence past 1.5 times it ends the connection.
        self.assertIn(b"\x13\x00\x01", data[:2 + data[1]])
        self.assertLess(time.time() - t0, 4.0)
        rest = data[2 + data[1]:]
        self.assertEqual(rest[:1], b"\xe0", rest)
        self.assertEqual(rest[2], 0x8D, rest)  # Keep Alive timeout

    def test_client_exceeding_receive_maximum_disconnected_0x93(self):
        raw = self.raw(b"rmx")
        # Three QoS 2 PUBLISHes, none released: the third exceeds Receive Maximum 2.
        for pid in (1, 2, 3):
            raw.send(publish_packet("r/t", b"p", qos=2, packet_id=pid, version=5))
        data, closed = raw.recv_all(3)
        self.assertTrue(closed)
        i = data.find(b"\xe0")
        self.assertGreaterEqual(i, 0, data)
        self.assertEqual(data[i + 2], 0x93, data)  # Receive Maximum exceeded (3.3.4)

    def test_connack_announces_limits(self):
        c = self.client("lim")
        self.assertEqual(c.connack_props.get("ReceiveMaximum"), 2)
        self.assertEqual(c.connack_props.get("MaximumPacketSize"), 256)

    def test_packet_too_large_disconnected_0x95(self):
        s = self.client("big-sub")
        s.subscribe("big/#", qos=0)
        r = self.raw(b"big")
        r.send(publish_packet("big/t", b"x" * 400, version=5))
        self.assert_disconnected(r, 0x95)
        self.assertEqual(s.quiet(0.3), [])


if __name__ == "__main__":
    main()
