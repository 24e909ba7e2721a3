"""MQTT 5 capabilities a broker may turn off, announced in CONNACK and
enforced (retain, wildcard, shared subscriptions, subscription identifiers),
granted limits (session expiry, message expiry caps), server redirection and
response information. Each class is one broker configuration."""

from harness import main
from paho_util import PacketTypes, V5TestCase, props, session_expiry, sub_id


class FeaturesOff(V5TestCase):
    config = {"subscription_identifiers_available": False,
              "shared_subscription_available": False,
              "wildcard_subscription_available": False,
              "retain_available": False}

    def test_features_off_announced_and_enforced(self):
        c = self.client("off")
        p = c.connack_props
        for name in ("RetainAvailable", "WildcardSubscriptionAvailable",
                     "SubscriptionIdentifierAvailable", "SharedSubscriptionAvailable"):
            self.assertEqual(p.get(name), 0, name)
        self.assertEqual(c.subscribe("$share/g/t", qos=1), [0x9E])
        self.assertEqual(c.subscribe("a/+", qos=1), [0xA2])
        self.assertEqual(c.subscribe("a/#", qos=1), [0xA2])
        self.assertEqual(c.subscribe("a/b", qos=1), [0x01])
        c.c.publish("a/b", b"r", qos=1, retain=True)
        self.assertEqual(c.wait_disconnect(3)[0], 0x9A)  # Retain not supported
        self.assertEqual(c.msgs, [])
        d = self.client("sid")
        d.c.subscribe("t", qos=1, properties=sub_id(3))
        self.assertEqual(d.wait_disconnect(3)[0], 0xA1)  # Subscription Identifiers not supported


class FeaturesOn(V5TestCase):
    def test_features_on_not_announced(self):
        p = self.client("on").connack_props
        for name in ("RetainAvailable", "WildcardSubscriptionAvailable",
                     "SubscriptionIdentifierAvailable", "SharedSubscriptionAvailable",
                     "SessionExpiryInterval", "ServerReference"):
            self.assertNotIn(name, p)  # absent means available (3.2.2.3)


class ExpiryCaps(V5TestCase):
    config = {"session_expiry_max": 5, "message_expiry_max": 10}

    def test_granted_expiry_caps(self):
        c = self.client("cap", connect_props=session_expiry(100))
        # 3.2.2.3.2: a different session expiry than asked is sent back.
        self.assertEqual(c.connack_props.get("SessionExpiryInterval"), 5)
        c.subscribe("cap/t", qos=1)
        c.publish("cap/t", b"none", qos=1)
        c.publish("cap/t", b"long", qos=1,
                  properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=100))
        c.publish("cap/t", b"short", qos=1,
                  properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=3))
        msgs = c.wait_msgs(3)
        self.assertEqual([m.payload for m in msgs], [b"none", b"long", b"short"])
        expiries = [m.properties.MessageExpiryInterval for m in msgs]
        self.assertTrue(9 <= expiries[0] <= 10 and 9 <= expiries[1] <= 10, expiries)
        self.assertTrue(2 <= expiries[2] <= 3, expiries)
        d = self.client("cap2", connect_props=session_expiry(4))
        self.assertNotIn("SessionExpiryInterval", d.connack_props)


class ServerReference(V5TestCase):
    config = {"server_reference": "other.example:1883"}

    def test_server_reference_redirects(self):
        c = self.client("redir", expect_ok=False)
        self.assertEqual(c.connack[1], 0x9C)  # Use another server
        self.assertEqual(c.connack_props.get("ServerReference"), "other.example:1883")


class ResponseInformation(V5TestCase):
    config = {"response_information": "reply/%c/"}

    def test_response_information_only_when_requested(self):
        asks = self.client("asker", connect_props=props(PacketTypes.CONNECT, RequestResponseInformation=1))
        self.assertEqual(asks.connack_props.get("ResponseInformation"), "reply/asker/")
        silent = self.client("silent")
        self.assertNotIn("ResponseInformation", silent.connack_props)
        declines = self.client("declines", connect_props=props(PacketTypes.CONNECT, RequestResponseInformation=0))
        self.assertNotIn("ResponseInformation", declines.connack_props)


class NoResponseInformation(V5TestCase):
    config = {}

    def test_no_response_information_unless_configured(self):
        asks = self.client("asker", connect_props=props(PacketTypes.CONNECT, RequestResponseInformation=1))
        self.assertNotIn("ResponseInformation", asks.connack_props)


if __name__ == "__main__":
    main()
