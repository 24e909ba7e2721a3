"""MQTT 5 details through paho: properties passed through, subscription
identifiers on overlapping subscriptions, no-local, retain-as-published,
topic aliases, message expiry; and the 3.1.1 overlap rule."""

import threading
import time
import unittest

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from harness import Broker, main


class Client:
    def __init__(self, port, cid, version=mqtt.MQTTv5, connect_props=None):
        self.msgs = []
        self.c = mqtt.Client(client_id=cid, protocol=version)
        self.c.on_message = lambda c, u, m: self.msgs.append(m)
        connected = threading.Event()
        self.c.on_connect = lambda *a, **k: connected.set()
        if version == mqtt.MQTTv5:
            self.c.connect("127.0.0.1", port, properties=connect_props)
        else:
            self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        assert connected.wait(5)

    def subscribe(self, *args, **kw):
        done = threading.Event()
        self.c.on_subscribe = lambda *a, **k: done.set()
        self.c.subscribe(*args, **kw)
        assert done.wait(5)

    def wait(self, n, timeout=5):
        end = time.time() + timeout
        while len(self.msgs) < n and time.time() < end:
            time.sleep(0.02)
        return self.msgs

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


class Mqtt5(unittest.TestCase):
    def setUp(self):
        self.broker = Broker()
        self.port = self.broker.port

    def tearDown(self):
        self.broker.stop()

    def test_properties_pass_through_in_order(self):
        sub = Client(self.port, "p-sub")
        sub.subscribe("props/t", qos=1)
        p = Client(self.port, "p-pub")
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = [("k", "1"), ("k", "2"), ("a", "b")]
        props.ContentType = "text/plain"
        props.ResponseTopic = "reply/here"
        props.CorrelationData = b"\x01\x02"
        props.PayloadFormatIndicator = 1
        p.c.publish("props/t", "hello", qos=1, properties=props).wait_for_publish()
        got = sub.wait(1)
        self.assertEqual(len(got), 1)
        rp = got[0].properties
        self.assertEqual(rp.UserProperty, [("k", "1"), ("k", "2"), ("a", "b")])
        self.assertEqual(rp.ContentType, "text/plain")
        self.assertEqual(rp.ResponseTopic, "reply/here")
        self.assertEqual(rp.CorrelationData, b"\x01\x02")
        self.assertEqual(rp.PayloadFormatIndicator, 1)
        sub.close()
        p.close()

    def test_overlapping_subscriptions_one_copy_with_every_identifier(self):
        sub = Client(self.port, "ids")
        for sid, flt in [(7, "ov/#"), (9, "ov/+")]:
            sp = Properties(PacketTypes.SUBSCRIBE)
            sp.SubscriptionIdentifier = sid
            sub.subscribe(flt, qos=1, properties=sp)
        p = Client(self.port, "ids-pub")
        p.c.publish("ov/x", "once", qos=1).wait_for_publish()
        time.sleep(0.5)
        got = sub.wait(1)
        self.assertEqual(len(got), 1)
        self.assertEqual(sorted(got[0].properties.SubscriptionIdentifier), [7, 9])
        sub.close()
        p.close()

    def test_overlap_v311_highest_qos_once(self):
        sub = Client(self.port, "ov311", version=mqtt.MQTTv311)
        sub.subscribe([("o3/#", 0), ("o3/+", 1)])
        p = Client(self.port, "ov311-pub", version=mqtt.MQTTv311)
        p.c.publish("o3/x", "m", qos=1).wait_for_publish()
        time.sleep(0.5)
        got = sub.wait(1)
        self.assertEqual([(m.topic, m.qos) for m in got], [("o3/x", 1)])
        sub.close()
        p.close()

    def test_no_local(self):
        me = Client(self.port, "loner")
        me.subscribe("nl/t", options=SubscribeOptions(qos=1, noLocal=True))
        other = Client(self.port, "other")
        me.c.publish("nl/t", "mine", qos=1).wait_for_publish()
        other.c.publish("nl/t", "theirs", qos=1).wait_for_publish()
        got = me.wait(1)
        time.sleep(0.3)
        self.assertEqual([m.payload for m in me.msgs], [b"theirs"])
        me.close()
        other.close()

    def test_retain_as_published_and_retain_handling(self):
        p = Client(self.port, "rap-pub")
        p.c.publish("rap/t", "kept", qos=1, retain=True).wait_for_publish()
        rap = Client(self.port, "rap")
        rap.subscribe("rap/t", options=SubscribeOptions(qos=1, retainAsPublished=True))
        plain = Client(self.port, "plain")
        plain.subscribe("rap/t", options=SubscribeOptions(qos=1, retainHandling=2))  # no retained
        rap.wait(1)
        p.c.publish("rap/t", "live", qos=1, retain=True).wait_for_publish()
        rap.wait(2)
        plain.wait(1)
        time.sleep(0.3)
        self.assertEqual([(m.payload, m.retain) for m in rap.msgs], [(b"kept", 1), (b"live", 1)])
        self.assertEqual([(m.payload, m.retain) for m in plain.msgs], [(b"live", 0)])
        for c in (p, rap, plain):
            c.close()

    def test_inbound_topic_alias(self):
        sub = Client(self.port, "alias-sub")
        sub.subscribe("alias/long/topic/name", qos=1)
        p = Client(self.port, "alias-pub")
        first = Properties(PacketTypes.PUBLISH)
        first.TopicAlias = 3
        p.c.publish("alias/long/topic/name", "1", qos=1, properties=first).wait_for_publish()
        again = Properties(PacketTypes.PUBLISH)
        again.TopicAlias = 3
        p.c.publish("", "2", qos=1, properties=again).wait_for_publish()
        got = sub.wait(2)
        self.assertEqual([(m.topic, m.payload) for m in got], [("alias/long/topic/name", b"1"),
                                                               ("alias/long/topic/name", b"2")])
        sub.close()
        p.close()

    def test_expired_message_not_delivered_from_queue(self):
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 300
        sub = Client(self.port, "exp-sub", connect_props=props)
        sub.subscribe("exp/t", qos=1)
        sub.close()
        # The DISCONNECT and the publishes travel on different connections: a
        # message routed before it is processed goes out (in flight) instead of
        # waiting in the queue, and is resent whatever its expiry.
        time.sleep(0.3)
        p = Client(self.port, "exp-pub")
        short = Properties(PacketTypes.PUBLISH)
        short.MessageExpiryInterval = 1
        p.c.publish("exp/t", "stale", qos=1, properties=short).wait_for_publish()
        p.c.publish("exp/t", "fresh", qos=1).wait_for_publish()
        time.sleep(2.2)
        back = mqtt.Client(client_id="exp-sub", protocol=mqtt.MQTTv5)
        got = []
        back.on_message = lambda c, u, m: got.append(m.payload)
        back.connect("127.0.0.1", self.port, clean_start=False, properties=props)
        back.loop_start()
        time.sleep(1.0)
        back.loop_stop()
        self.assertEqual(got, [b"fresh"])
        p.close()


if __name__ == "__main__":
    main()
