"""Basic publish/subscribe through the real broker with mosquitto clients,
in MQTT 3.1.1 and 5.0."""

from harness import BrokerTestCase, Sub, main, pub


class BasicPubSub(BrokerTestCase):
    def check_roundtrip(self, version):
        sub = Sub(self.broker.port, "t/#", count=3, version=version)
        for qos in ("0", "1", "2"):
            pub(self.broker.port, "t/q" + qos, "m" + qos, "-q", qos, version=version)
        # Three publishers: order is kept per client, not across clients.
        self.assertEqual(sorted(sub.lines()), ["t/q0 m0", "t/q1 m1", "t/q2 m2"])

    def test_roundtrip_v311(self):
        self.check_roundtrip("311")

    def test_roundtrip_v5(self):
        self.check_roundtrip("5")

    def test_non_matching_topic_not_delivered(self):
        sub = Sub(self.broker.port, "a/+", count=1, timeout=3)
        pub(self.broker.port, "b/x", "no")
        pub(self.broker.port, "a/x/y", "no")
        pub(self.broker.port, "a/x", "yes")
        self.assertEqual(sub.lines(), ["a/x yes"])


if __name__ == "__main__":
    main()
