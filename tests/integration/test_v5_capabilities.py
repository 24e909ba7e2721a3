"""MQTT 5 capabilities a broker may turn off, announced in CONNACK and
enforced (retain, wildcard, shared subscriptions, subscription identifiers),
granted limits (session expiry, message expiry caps), server redirection and
response information."""

import unittest

from harness import Broker, main
from paho_util import PacketTypes, V5Client, props


class Capabilities(unittest.TestCase):
    def run_with(self, config, body):
        with Broker(config) as b:
            clients = []

            def client(*a, **kw):
                c = V5Client(b.port, *a, **kw)
                clients.append(c)
                return c
            try:
                body(client)
            finally:
                for c in clients:
                    c.close()

    def test_features_off_announced_and_enforced(self):
        def body(client):
            c = client("off")
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
            d = client("sid")
            d.c.subscribe("t", qos=1, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=3))
            self.assertEqual(d.wait_disconnect(3)[0], 0xA1)  # Subscription Identifiers not supported
        self.run_with({"subscription_identifiers_available": False,
                       "shared_subscription_available": False,
                       "wildcard_subscription_available": False,
                       "retain_available": False}, body)

    def test_features_on_not_announced(self):
        def body(client):
            p = client("on").connack_props
            for name in ("RetainAvailable", "WildcardSubscriptionAvailable",
                         "SubscriptionIdentifierAvailable", "SharedSubscriptionAvailable",
                         "SessionExpiryInterval", "ServerReference"):
                self.assertNotIn(name, p)  # absent means available (3.2.2.3)
        self.run_with(None, body)

    def test_granted_expiry_caps(self):
        def body(client):
            c = client("cap", connect_props=props(PacketTypes.CONNECT, SessionExpiryInterval=100))
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
            d = client("cap2", connect_props=props(PacketTypes.CONNECT, SessionExpiryInterval=4))
            self.assertNotIn("SessionExpiryInterval", d.connack_props)
        self.run_with({"session_expiry_max": 5, "message_expiry_max": 10}, body)

    def test_server_reference_redirects(self):
        def body(client):
            c = client("redir", expect_ok=False)
            self.assertEqual(c.connack[1], 0x9C)  # Use another server
            self.assertEqual(c.connack_props.get("ServerReference"), "other.example:1883")
        self.run_with({"server_reference": "other.example:1883"}, body)

    def test_response_information_only_when_requested(self):
        def body(client):
            asks = client("asker", connect_props=props(PacketTypes.CONNECT, RequestResponseInformation=1))
            self.assertEqual(asks.connack_props.get("ResponseInformation"), "reply/asker/")
            silent = client("silent")
            self.assertNotIn("ResponseInformation", silent.connack_props)
            declines = client("declines", connect_props=props(PacketTypes.CONNECT, RequestResponseInformation=0))
            self.assertNotIn("ResponseInformation", declines.connack_props)
        self.run_with({"response_information": "reply/%c/"}, body)

    def test_no_response_information_unless_configured(self):
        def body(client):
            asks = client("asker", connect_props=props(PacketTypes.CONNECT, RequestResponseInformation=1))
            self.assertNotIn("ResponseInformation", asks.connack_props)
        self.run_with({}, body)


if __name__ == "__main__":
    main()
