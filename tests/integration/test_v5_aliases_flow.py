"""MQTT 5 topic aliases (both ways), Receive Maximum and Maximum Packet Size,
end to end: paho and mosquitto clients, and a raw socket where PUBACKs must be
withheld or the bytes on the wire are checked."""

from harness import main, pub, publishes
from paho_util import PacketTypes, V5TestCase, props


class AliasesAndFlow(V5TestCase):
    def test_inbound_alias_then_alias_only(self):
        sub = self.client("ia-sub")
        sub.subscribe("ia/#", qos=1)
        pub = self.client("ia-pub")
        pub.publish("ia/one", b"1", qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=3))
        pub.publish("", b"2", qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=3))
        # Re-pointing the alias at another topic (MQTT 5 3.3.2.3.4).
        pub.publish("ia/two", b"3", qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=3))
        pub.publish("", b"4", qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=3))
        msgs = sub.wait_msgs(4)
        self.assertEqual([(m.topic, m.payload) for m in sub.quiet(0.3)],
                         [("ia/one", b"1"), ("ia/one", b"2"), ("ia/two", b"3"), ("ia/two", b"4")])
        # The subscriber asked for no aliases, so none reach it.
        for m in msgs:
            self.assertNotIn("TopicAlias", m.properties.json() if m.properties else {})
        self.assertEqual(pub.disconnects, [])

    def test_inbound_alias_on_long_topic(self):
        sub = self.client("alias-sub")
        sub.subscribe("alias/long/topic/name", qos=1)
        p = self.client("alias-pub")
        p.publish("alias/long/topic/name", "1", qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=3))
        p.publish("", "2", qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=3))
        got = sub.wait_msgs(2)
        self.assertEqual([(m.topic, m.payload) for m in got], [("alias/long/topic/name", b"1"),
                                                               ("alias/long/topic/name", b"2")])

    def test_inbound_alias_beyond_maximum_disconnects_0x94(self):
        sub = self.client("ib-sub")
        sub.subscribe("ib/#", qos=0)
        pub = self.client("ib-pub")
        self.assertEqual(pub.connack_props.get("TopicAliasMaximum"), 10)
        pub.c.publish("ib/x", b"bad", qos=0, properties=props(PacketTypes.PUBLISH, TopicAlias=11))
        d = pub.wait_disconnect(3)
        self.assertIsNotNone(d)
        self.assertEqual(d[0], 0x94)
        self.assertEqual(sub.quiet(0.3), [])

    def test_unknown_alias_without_topic_is_protocol_error(self):
        pub = self.client("iu-pub")
        pub.c.publish("", b"bad", qos=0, properties=props(PacketTypes.PUBLISH, TopicAlias=2))
        d = pub.wait_disconnect(3)
        self.assertIsNotNone(d)
        self.assertIn(d[0], (0x82, 0x94))

    def test_outbound_aliases_when_client_allows(self):
        sub = self.client("oa-sub", connect_props=props(PacketTypes.CONNECT, TopicAliasMaximum=2))
        sub.subscribe("oa/#", qos=1)
        pub = self.client("oa-pub")
        for i in range(3):
            for t in ("oa/a", "oa/b", "oa/c"):
                pub.publish(t, b"%s-%d" % (t.encode(), i), qos=1)
        msgs = sub.wait_msgs(9)
        self.assertEqual(len(sub.quiet(0.3)), 9)
        # paho 1.6 does not resolve aliases itself; resolve them as a client must.
        table, resolved, aliased_only = {}, [], 0
        for m in msgs:
            alias = getattr(m.properties, "TopicAlias", None)
            if alias is not None:
                self.assertTrue(1 <= alias <= 2, alias)
                if m.topic:
                    table[alias] = m.topic
                else:
                    aliased_only += 1
            self.assertTrue(m.topic or alias in table, m.topic)
            resolved.append((m.topic or table[alias], m.payload))
        self.assertEqual(sorted(resolved),
                         sorted((t, b"%s-%d" % (t.encode(), i))
                                for i in range(3) for t in ("oa/a", "oa/b", "oa/c")))
        self.assertGreater(aliased_only, 0)  # the broker did send alias-only publishes

    def test_no_outbound_aliases_when_client_sets_zero(self):
        sub = self.client("na-sub", connect_props=props(PacketTypes.CONNECT, TopicAliasMaximum=0))
        sub.subscribe("na/#", qos=1)
        pub = self.client("na-pub")
        for i in range(5):
            pub.publish("na/t", b"%d" % i, qos=1)
        msgs = sub.wait_msgs(5)
        self.assertEqual([(m.topic, m.payload) for m in msgs], [("na/t", b"%d" % i) for i in range(5)])
        for m in msgs:
            self.assertNotIn("TopicAlias", m.properties.json() if m.properties else {})

    def test_receive_maximum_bounds_unacknowledged(self):
        # Receive Maximum (0x21) = 3.
        raw = self.raw(b"rm-sub", b"\x21\x00\x03")
        raw.subscribe("rm/t", 1)
        pub = self.client("rm-pub")
        for i in range(10):
            pub.publish("rm/t", b"%d" % i, qos=1)
        first = raw.publishes(1.0)
        self.assertEqual([p for _, p in first], [b"0", b"1", b"2"])
        raw.puback(first[0][0])
        more = raw.publishes(0.7)
        self.assertEqual([p for _, p in more], [b"3"])  # one ack, one more
        got = first + more
        pending = [pid for pid, _ in got[1:]]
        for _ in range(10):
            for pid in pending:
                raw.puback(pid)
            batch = raw.publishes(0.5)
            self.assertLessEqual(len(batch), 3)
            got += batch
            pending = [pid for pid, _ in batch]
            if not batch:
                break
        self.assertEqual([p for _, p in got], [b"%d" % i for i in range(10)])

    def test_receive_maximum_counts_qos2_until_pubcomp(self):
        raw = self.raw(b"rq-sub", b"\x21\x00\x02")  # Receive Maximum 2
        raw.subscribe("rq/t", 2)
        pub = self.client("rq-pub")
        for i in range(4):
            pub.publish("rq/t", b"%d" % i, qos=2)
        first = raw.publishes(0.8)
        self.assertEqual([p for _, p in first], [b"0", b"1"])
        pid = first[0][0]
        raw.send(b"\x50\x02" + pid.to_bytes(2, "big"))  # PUBREC
        pkt = raw.recv_packet(1.0)
        self.assertEqual(pkt[0], 0x62)  # PUBREL
        self.assertEqual(pkt[1][:2], pid.to_bytes(2, "big"))
        # MQTT 5 4.9: the quota comes back only with PUBCOMP.
        self.assertEqual(raw.publishes(0.5), [])
        raw.send(b"\x70\x02" + pid.to_bytes(2, "big"))  # PUBCOMP
        self.assertEqual([p for _, p in raw.publishes(0.6)], [b"2"])

    def test_maximum_packet_size_skips_larger_messages(self):
        sub = self.client("mp-sub", connect_props=props(PacketTypes.CONNECT, MaximumPacketSize=128))
        sub.subscribe("mp/t", qos=1)
        pub = self.client("mp-pub")
        pub.publish("mp/t", b"small-1", qos=1)
        pub.publish("mp/t", b"x" * 200, qos=1)
        pub.publish("mp/t", b"y" * 100, qos=0, properties=props(
            PacketTypes.PUBLISH, UserProperty=[("pad", "z" * 40)]))  # payload fits, packet does not
        pub.publish("mp/t", b"small-2", qos=1)
        sub.wait_msgs(2)
        self.assertEqual([m.payload for m in sub.quiet(0.4)], [b"small-1", b"small-2"])
        self.assertEqual(sub.disconnects, [])

    def test_dropped_oversize_message_binds_no_alias(self):
        # The first message to a topic would introduce its alias, but is over
        # the client's Maximum Packet Size and dropped: the next message to the
        # topic must introduce the alias again, not use one the client never saw.
        sub = self.client("ad-sub", connect_props=props(
            PacketTypes.CONNECT, TopicAliasMaximum=2, MaximumPacketSize=128))
        sub.subscribe("ad/t", qos=1)
        pub = self.client("ad-pub")
        pub.publish("ad/t", b"x" * 200, qos=1)
        pub.publish("ad/t", b"small-1", qos=1)
        pub.publish("ad/t", b"small-2", qos=1)
        sub.wait_msgs(2)
        msgs = sub.quiet(0.3)
        table, resolved = {}, []
        for m in msgs:
            alias = getattr(m.properties, "TopicAlias", None)
            if m.topic and alias is not None:
                table[alias] = m.topic
            self.assertTrue(m.topic or alias in table, (m.topic, alias, m.payload))
            resolved.append((m.topic or table[alias], m.payload))
        self.assertEqual(resolved, [("ad/t", b"small-1"), ("ad/t", b"small-2")])
        self.assertEqual(sub.disconnects, [])

    def test_receive_maximum_window_moves_with_acks(self):
        raw = self.raw(b"rm", b"\x21\x00\x02")  # Receive Maximum 2
        raw.subscribe("lim/#", 1)
        for i in range(5):
            pub(self.port, "lim/rm", f"m{i}", "-q", "1")
        first = raw.publishes(0.5)
        self.assertEqual(len(first), 2)  # no more than 2 in flight
        for pid, _ in first:
            raw.puback(pid)
        second = raw.publishes(0.5)
        self.assertEqual(len(second), 2)  # the window moved by the two acks

    def test_maximum_packet_size_skips_large_qos0(self):
        raw = self.raw(b"mps", b"\x27\x00\x00\x00\x40")  # Maximum Packet Size 64
        raw.subscribe("lim/#", 0)
        pub(self.port, "lim/big", "x" * 200)
        pub(self.port, "lim/small", "ok")
        got = publishes(raw.recv_for(0.6), version=5)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0][0], "lim/small")

    def test_outbound_alias_on_the_wire(self):
        raw = self.raw(b"ta", b"\x22\x00\x05")  # Topic Alias Maximum 5
        raw.subscribe("lim/#", 0)
        for _ in range(3):
            pub(self.port, "lim/aliased/topic", "p")
        got = [body for first, body in raw.recv_for(0.6) if first >> 4 == 3]
        self.assertEqual(len(got), 3)
        topic_lens = [int.from_bytes(body[:2], "big") for body in got]
        self.assertEqual(topic_lens[0], len("lim/aliased/topic"))  # first names the topic
        self.assertEqual(topic_lens[1:], [0, 0])  # then the alias alone
        for body in got:
            props = body[2 + int.from_bytes(body[:2], "big"):]
            self.assertIn(b"\x23\x00\x01", props[:8])  # Topic Alias 1


if __name__ == "__main__":
    main()
