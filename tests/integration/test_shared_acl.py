"""A shared subscription group ($share/group/filter) gives each message to a
member that may read its topic: a member whose ACL does not allow it is
passed over, at publish time and when a message is handed back to the group
(a member that left with it unacknowledged), so no message is lost to a
member that would have to drop it."""

import unittest

from auth_util import Files
from harness import Broker, RawClient, connect_packet, main, publish_packet, subscribe_packet

ACL = """\
user alice
topic readwrite jobs/#
user bob
topic read jobs/public/#
"""

GROUP = "$share/g/jobs/#"


class Member:
    """A raw v5 client; acknowledges QoS 1 deliveries unless told not to."""

    def __init__(self, port, user, client_id, ack=True):
        self.c = RawClient(port)
        self.c.send(connect_packet(client_id, 5, username=user, password=user))  # clean start
        pk = self.c.recv_packet()
        assert pk is not None and pk[0] == 0x20 and pk[1][1] == 0, pk
        self.ack = ack
        self.got = []

    def subscribe(self, filt, qos=1):
        self.c.send(subscribe_packet([(filt, qos)], version=5))
        pk = self.c.recv_packet()
        assert pk is not None and pk[0] == 0x90, pk
        return pk[1][3:]  # reason codes

    def collect(self, want, timeout=5.0):
        """Reads PUBLISHes until `want` payloads arrived or nothing comes for `timeout` s."""
        while len(self.got) < want:
            pk = self.c.recv_packet(timeout)
            if pk is None:
                break
            if pk[0] & 0xF0 != 0x30:
                continue
            body = pk[1]
            n = int.from_bytes(body[:2], "big")
            i = 2 + n
            qos = (pk[0] >> 1) & 3
            if qos:
                pid = body[i:i + 2]
                i += 2
                if self.ack:
                    self.c.send(b"\x40\x02" + pid)
            plen, j = body[i], i + 1  # property length (short: no properties here)
            self.got.append(body[j + plen:].decode())
        return self.got

    def close(self):
        self.c.close()


class SharedAcl(unittest.TestCase):
    def setUp(self):
        self.files = Files()
        pw = self.files.passwd("pw", [("alice", "alice"), ("bob", "bob")])
        acl = self.files.write("acl", ACL)
        self.broker = Broker({"password_file": pw, "acl_file": acl, "sys_interval": 0,
                              "shared_subscription_strategy": "round_robin"})
        self.port = self.broker.port
        self.members = []

    def tearDown(self):
        for m in self.members:
            m.close()
        self.broker.stop()
        self.files.cleanup()

    def member(self, user, client_id, ack=True):
        m = Member(self.port, user, client_id, ack)
        self.members.append(m)
        self.assertEqual(m.subscribe(GROUP), b"\x01")  # bob may read jobs/public/#: granted
        return m

    def publish(self, payloads, qos):
        p = Member(self.port, "alice", b"publisher")
        self.members.append(p)
        for i, payload in enumerate(payloads):
            p.c.send(publish_packet("jobs/secret/%d" % i, payload, qos=qos, packet_id=i + 1, version=5))
            if qos:
                pk = p.c.recv_packet()
                self.assertEqual(pk[0], 0x40)

    def test_member_that_may_not_read_is_passed_over(self):
        alice = self.member("alice", b"alice1")
        bob = self.member("bob", b"bob1")
        sent = ["m%d" % i for i in range(8)]
        self.publish(sent, qos=1)
        self.assertEqual(sorted(alice.collect(len(sent))), sorted(sent))
        self.publish(["q0-%d" % i for i in range(4)], qos=0)
        alice.collect(len(sent) + 4)
        self.assertEqual(sorted(alice.got[len(sent):]), ["q0-%d" % i for i in range(4)])
        self.assertEqual(bob.collect(1, timeout=0.5), [])

    def test_handed_back_message_goes_to_a_member_that_may_read(self):
        leaving = self.member("alice", b"alice-leaving", ack=False)
        self.member("bob", b"bob1")
        sent = ["m%d" % i for i in range(6)]
        self.publish(sent, qos=1)
        kept = leaving.collect(len(sent), timeout=1.0)
        self.assertEqual(sorted(kept), sorted(sent))  # every message reached the only reader
        staying = self.member("alice", b"alice-staying")
        leaving.close()  # unacknowledged: handed back to the group (MQTT 5 4.8.2)
        self.members.remove(leaving)
        self.assertEqual(sorted(staying.collect(len(sent))), sorted(sent))


if __name__ == "__main__":
    main()
