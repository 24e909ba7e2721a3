"""MQTT 5 properties end to end with paho: publish properties passed through
(user properties in order with duplicates), message expiry decremented and
expired queued messages dropped, request/response, CONNACK properties,
assigned client identifier, server keep alive, request problem information."""

import time

from harness import main, publish_packet
from paho_util import PacketTypes, V5TestCase, props, session_expiry


class Properties(V5TestCase):
    def test_publish_properties_pass_through(self):
        sub = self.client("pp-sub")
        sub.subscribe("pp/t", qos=1)
        pub = self.client("pp-pub")
        users = [("k", "1"), ("a", "x"), ("k", "2"), ("k", "1")]
        pub.publish("pp/t", b"\x7b\x7d", qos=1, properties=props(
            PacketTypes.PUBLISH, PayloadFormatIndicator=1, ContentType="application/json",
            ResponseTopic="pp/reply", CorrelationData=b"\x00\x01corr",
            UserProperty=users))
        pub.publish("pp/t", b"plain", qos=1)
        msgs = sub.wait_msgs(2)
        self.assertEqual([m.payload for m in msgs], [b"{}", b"plain"])
        p = msgs[0].properties
        self.assertEqual(p.PayloadFormatIndicator, 1)
        self.assertEqual(p.ContentType, "application/json")
        self.assertEqual(p.ResponseTopic, "pp/reply")
        self.assertEqual(p.CorrelationData, b"\x00\x01corr")
        self.assertEqual(p.UserProperty, users)  # order and duplicates kept
        # No property leaks into the next message.
        q = msgs[1].properties.json() if msgs[1].properties else {}
        for name in ("PayloadFormatIndicator", "ContentType", "ResponseTopic",
                     "CorrelationData", "UserProperty", "MessageExpiryInterval"):
            self.assertNotIn(name, q)

    def test_properties_pass_through_in_order(self):
        sub = self.client("p-sub")
        sub.subscribe("props/t", qos=1)
        p = self.client("p-pub")
        p.publish("props/t", "hello", qos=1, properties=props(
            PacketTypes.PUBLISH, UserProperty=[("k", "1"), ("k", "2"), ("a", "b")],
            ContentType="text/plain", ResponseTopic="reply/here", CorrelationData=b"\x01\x02",
            PayloadFormatIndicator=1))
        got = sub.wait_msgs(1)
        self.assertEqual(len(got), 1)
        rp = got[0].properties
        self.assertEqual(rp.UserProperty, [("k", "1"), ("k", "2"), ("a", "b")])
        self.assertEqual(rp.ContentType, "text/plain")
        self.assertEqual(rp.ResponseTopic, "reply/here")
        self.assertEqual(rp.CorrelationData, b"\x01\x02")
        self.assertEqual(rp.PayloadFormatIndicator, 1)

    def test_request_response(self):
        responder = self.client("rr-responder")
        responder.subscribe("rr/req", qos=1)
        requester = self.client("rr-requester")
        requester.subscribe("rr/resp/requester", qos=1)
        for i in range(3):
            requester.publish("rr/req", b"q%d" % i, qos=1, properties=props(
                PacketTypes.PUBLISH, ResponseTopic="rr/resp/requester",
                CorrelationData=b"id-%d" % i))
        reqs = responder.wait_msgs(3)
        self.assertEqual(len(reqs), 3)
        for m in reqs:
            responder.publish(m.properties.ResponseTopic, b"re:" + m.payload, qos=1,
                              properties=props(PacketTypes.PUBLISH,
                                               CorrelationData=m.properties.CorrelationData))
        resps = requester.wait_msgs(3)
        self.assertEqual(sorted((m.properties.CorrelationData, m.payload) for m in resps),
                         [(b"id-%d" % i, b"re:q%d" % i) for i in range(3)])
        self.assertEqual(responder.quiet(0.2)[3:], [])

    def test_message_expiry_decremented_and_expired_dropped(self):
        sub = self.client("ex-sub", clean_start=True, connect_props=session_expiry(60))
        sub.subscribe("ex/t", qos=1)
        sub.disconnect()
        time.sleep(0.3)  # processed before the publishes are routed (another connection)
        pub = self.client("ex-pub")
        pub.publish("ex/t", b"short", qos=1, properties=props(
            PacketTypes.PUBLISH, MessageExpiryInterval=1))
        pub.publish("ex/t", b"long", qos=1, properties=props(
            PacketTypes.PUBLISH, MessageExpiryInterval=30))
        pub.publish("ex/t", b"forever", qos=1)
        time.sleep(2.3)
        sub2 = self.client("ex-sub", clean_start=False, connect_props=session_expiry(60))
        self.assertTrue(sub2.session_present)
        msgs = sub2.wait_msgs(2)
        self.assertEqual([m.payload for m in sub2.quiet(0.5)], [b"long", b"forever"])
        exp = msgs[0].properties.MessageExpiryInterval
        self.assertTrue(25 <= exp <= 28, exp)  # 30 less the ~2 s it waited (MQTT 5 3.3.2.3.3)
        self.assertNotIn("MessageExpiryInterval", msgs[1].properties.json())

    def test_expired_message_not_delivered_from_queue(self):
        sub = self.client("exp-sub", connect_props=session_expiry(300))
        sub.subscribe("exp/t", qos=1)
        sub.disconnect()
        # The DISCONNECT and the publishes travel on different connections: a
        # message routed before it is processed goes out (in flight) instead of
        # waiting in the queue, and is resent whatever its expiry.
        time.sleep(0.3)
        p = self.client("exp-pub")
        p.publish("exp/t", "stale", qos=1, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=1))
        p.publish("exp/t", "fresh", qos=1)
        time.sleep(2.2)
        back = self.client("exp-sub", clean_start=False, connect_props=session_expiry(300))
        self.assertEqual([m.payload for m in back.quiet(1.0)], [b"fresh"])

    def test_connack_properties(self):
        c = self.client("ca-1")
        p = c.connack_props
        self.assertEqual(p.get("ReceiveMaximum"), 1024)
        self.assertEqual(p.get("TopicAliasMaximum"), 10)
        self.assertEqual(p.get("MaximumPacketSize"), 2097152)
        self.assertNotIn("AssignedClientIdentifier", p)
        self.assertNotIn("ServerKeepAlive", p)
        self.assertFalse(c.session_present)

    def test_assigned_client_identifier(self):
        a = self.client("")
        b = self.client("")
        ida = a.connack_props.get("AssignedClientIdentifier")
        idb = b.connack_props.get("AssignedClientIdentifier")
        self.assertTrue(ida)
        self.assertTrue(idb)
        self.assertNotEqual(ida, idb)
        # The assigned id works as a client id: both clients stay connected and deliver.
        a.subscribe("as/t", qos=1)
        b.publish("as/t", b"hi", qos=1)
        self.assertEqual([m.payload for m in a.wait_msgs(1)], [b"hi"])
        self.assertEqual(a.disconnects, [])

    def alias_violation_disconnect(self, r):
        # PUBLISH QoS 0, topic "x", property Topic Alias (0x23) = 500 > max 10.
        r.send(publish_packet("x", b"p", version=5, props=b"\x23\x01\xf4"))
        return self.assert_disconnected(r, 0x94)[3:]  # Topic Alias invalid

    def test_request_problem_information_zero_omits_reason_string(self):
        rest = self.alias_violation_disconnect(self.raw(b"rpi0", b"\x17\x00"))
        self.assertNotIn(b"\x1f", rest[1:1 + rest[0]] if rest else b"", rest)
        rest = self.alias_violation_disconnect(self.raw(b"rpi1"))
        # By default the broker explains itself with a Reason String (0x1F).
        self.assertTrue(rest and rest[0] > 0 and rest[1] == 0x1F, rest)


class ServerKeepAlive(V5TestCase):
    config = {"max_keepalive": 5}

    def test_server_keep_alive_when_max_keepalive_lower(self):
        self.assertEqual(self.client("ka-1", keepalive=60).connack_props.get("ServerKeepAlive"), 5)
        self.assertNotIn("ServerKeepAlive", self.client("ka-2", keepalive=3).connack_props)


if __name__ == "__main__":
    main()
