"""MQTT 5 subscription options with paho: subscription identifiers on
overlapping subscriptions (one copy; and the 3.1.1 overlap rule), no-local,
retain-as-published, retain handling 0/1/2; shared subscriptions with each
strategy."""

from harness import main
from paho_util import SubscribeOptions, V5TestCase, mqtt, sub_id


class Options(V5TestCase):
    def test_subscription_identifiers_one_copy(self):
        s = self.client("si")
        s.subscribe("si/#", qos=0, properties=sub_id(1))
        s.subscribe("si/+/x", qos=1, properties=sub_id(2))
        s.subscribe("si/a/x", qos=0, properties=sub_id(300))
        s.subscribe("si/a/+", qos=0)  # no identifier
        p = self.client("si-pub")
        p.publish("si/a/x", b"all", qos=1)
        p.publish("si/b/y", b"one", qos=1)
        s.wait_msgs(2)
        msgs = s.quiet(0.4)
        self.assertEqual([m.payload for m in msgs], [b"all", b"one"])
        self.assertEqual(sorted(msgs[0].properties.SubscriptionIdentifier), [1, 2, 300])
        self.assertEqual(msgs[0].qos, 1)  # the highest QoS of the matching subscriptions
        self.assertEqual(msgs[1].properties.SubscriptionIdentifier, [1])
        self.assertEqual(msgs[1].qos, 0)

    def test_overlapping_subscriptions_one_copy_with_every_identifier(self):
        sub = self.client("ids")
        for sid, flt in [(7, "ov/#"), (9, "ov/+")]:
            sub.subscribe(flt, qos=1, properties=sub_id(sid))
        self.client("ids-pub").publish("ov/x", "once", qos=1)
        sub.quiet(0.5)
        got = sub.wait_msgs(1)
        self.assertEqual(len(got), 1)
        self.assertEqual(sorted(got[0].properties.SubscriptionIdentifier), [7, 9])

    def test_overlap_v311_highest_qos_once(self):
        sub = self.client("ov311", version=mqtt.MQTTv311)
        sub.subscribe([("o3/#", 0), ("o3/+", 1)])
        self.client("ov311-pub", version=mqtt.MQTTv311).publish("o3/x", "m", qos=1)
        sub.quiet(0.5)
        got = sub.wait_msgs(1)
        self.assertEqual([(m.topic, m.qos) for m in got], [("o3/x", 1)])

    def test_identifier_replaced_and_removed_on_resubscribe(self):
        s = self.client("sr")
        s.subscribe("sr/t", qos=1, properties=sub_id(7))
        s.subscribe("sr/t", qos=1, properties=sub_id(8))
        p = self.client("sr-pub")
        p.publish("sr/t", b"1", qos=1)
        self.assertEqual(s.wait_msgs(1)[0].properties.SubscriptionIdentifier, [8])
        s.subscribe("sr/t", qos=1)
        p.publish("sr/t", b"2", qos=1)
        m = s.wait_msgs(2)[1]
        self.assertNotIn("SubscriptionIdentifier", m.properties.json() if m.properties else {})

    def test_no_local(self):
        a = self.client("nl-a")
        a.subscribe("nl/t", options=SubscribeOptions(qos=1, noLocal=True))
        b = self.client("nl-b")
        b.subscribe("nl/t", qos=1)
        a.publish("nl/t", b"from-a", qos=1)
        b.publish("nl/t", b"from-b", qos=1)
        b.wait_msgs(2)
        a.wait_msgs(1)
        self.assertEqual([m.payload for m in a.quiet(0.3)], [b"from-b"])
        self.assertEqual(sorted(m.payload for m in b.msgs), [b"from-a", b"from-b"])

    def test_no_local_drops_own_message(self):
        me = self.client("loner")
        me.subscribe("nl/t", options=SubscribeOptions(qos=1, noLocal=True))
        other = self.client("other")
        me.publish("nl/t", "mine", qos=1)
        other.publish("nl/t", "theirs", qos=1)
        me.wait_msgs(1)
        self.assertEqual([m.payload for m in me.quiet(0.3)], [b"theirs"])

    def test_retain_as_published(self):
        rap = self.client("rap-1")
        rap.subscribe("rap/t", options=SubscribeOptions(qos=1, retainAsPublished=True))
        plain = self.client("rap-0")
        plain.subscribe("rap/t", qos=1)
        p = self.client("rap-pub")
        p.publish("rap/t", b"r", qos=1, retain=True)
        p.publish("rap/t", b"n", qos=1, retain=False)
        self.assertEqual([(m.payload, m.retain) for m in rap.wait_msgs(2)], [(b"r", 1), (b"n", 0)])
        self.assertEqual([(m.payload, m.retain) for m in plain.wait_msgs(2)], [(b"r", 0), (b"n", 0)])
        # A retained message sent because of a subscription keeps its flag either way.
        late = self.client("rap-late")
        late.subscribe("rap/t", qos=1)
        self.assertEqual([(m.payload, m.retain) for m in late.wait_msgs(1)], [(b"r", 1)])

    def test_retain_as_published_and_retain_handling(self):
        p = self.client("rap-pub")
        p.publish("rap/t", "kept", qos=1, retain=True)
        rap = self.client("rap")
        rap.subscribe("rap/t", options=SubscribeOptions(qos=1, retainAsPublished=True))
        plain = self.client("plain")
        plain.subscribe("rap/t", options=SubscribeOptions(qos=1, retainHandling=2))  # no retained
        rap.wait_msgs(1)
        p.publish("rap/t", "live", qos=1, retain=True)
        rap.wait_msgs(2)
        plain.wait_msgs(1)
        plain.quiet(0.3)
        self.assertEqual([(m.payload, m.retain) for m in rap.msgs], [(b"kept", 1), (b"live", 1)])
        self.assertEqual([(m.payload, m.retain) for m in plain.msgs], [(b"live", 0)])

    def test_retain_handling(self):
        self.client("rh-pub").publish("rh/t", b"kept", qos=1, retain=True)
        got = {}
        for rh in (0, 1, 2):
            c = self.client("rh-%d" % rh)
            for _ in range(2):  # a new subscription, then the same again
                c.subscribe("rh/t", options=SubscribeOptions(qos=1, retainHandling=rh))
                c.quiet(0.3)
            got[rh] = [m.payload for m in c.msgs]
        self.assertEqual(got[0], [b"kept", b"kept"])  # 0: on every subscribe
        self.assertEqual(got[1], [b"kept"])  # 1: only when the subscription is new
        self.assertEqual(got[2], [])  # 2: never


class SharedRoundRobin(V5TestCase):
    config = {"shared_subscription_strategy": "round_robin"}
    n = 12

    def members(self, group, count, flt="sh/t"):
        out = []
        for i in range(count):
            c = self.client("%s-m%d" % (group, i))
            c.subscribe("$share/%s/%s" % (group, flt), qos=1)
            out.append(c)
        return out

    def publish_n(self, cid="sh-pub", topic="sh/t", n=None):
        p = self.client(cid)
        for i in range(n or self.n):
            p.publish(topic, b"%s-%d" % (cid.encode(), i), qos=1)
        return [b"%s-%d" % (cid.encode(), i) for i in range(n or self.n)]

    def collect(self, clients, total):
        for _ in range(50):
            if sum(len(c.msgs) for c in clients) >= total:
                break
            clients[0].quiet(0.05)
        clients[0].quiet(0.3)
        return [[m.payload for m in c.msgs] for c in clients]

    def test_each_message_to_one_member_spread(self):
        group = self.members("g", 2)
        other = self.members("h", 3)
        plain = self.client("sh-plain")
        plain.subscribe("sh/t", qos=1)
        sent = self.publish_n()
        for g in (group, other):
            got = self.collect(g, len(sent))
            self.assertEqual(sorted(sum(got, [])), sorted(sent))  # exactly once per group
            for share in got:
                self.assertGreaterEqual(len(share), len(sent) // len(g) - 1, got)
        self.assertEqual([m.payload for m in plain.wait_msgs(len(sent))], sent)

    def test_retained_not_sent_on_shared_subscribe(self):
        self.client("rt-pub").publish("sh/r", b"ret", qos=1, retain=True)
        m = self.members("rg", 1, "sh/r")[0]
        self.assertEqual(m.quiet(0.5), [])
        self.client("rt-pub2").publish("sh/r", b"live", qos=1, retain=True)
        self.assertEqual([x.payload for x in m.wait_msgs(1)], [b"live"])


class SharedHash(SharedRoundRobin):
    config = {"shared_subscription_strategy": "hash_clientid"}

    def test_each_message_to_one_member_spread(self):
        group = self.members("g", 2)
        sent = []
        pubs = ["hp-%d" % i for i in range(6)]
        for cid in pubs:
            sent += self.publish_n(cid, n=4)
        got = self.collect(group, len(sent))
        self.assertEqual(sorted(sum(got, [])), sorted(sent))
        for cid in pubs:  # every publisher sticks to one member
            holders = [i for i, share in enumerate(got) if any(p.startswith(cid.encode() + b"-") for p in share)]
            self.assertEqual(len(holders), 1, (cid, got))


class SharedRandom(SharedRoundRobin):
    config = {"shared_subscription_strategy": "random"}

    def test_each_message_to_one_member_spread(self):
        group = self.members("g", 3)
        sent = self.publish_n(n=30)
        got = self.collect(group, len(sent))
        self.assertEqual(sorted(sum(got, [])), sorted(sent))


if __name__ == "__main__":
    main()
