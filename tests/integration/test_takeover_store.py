"""Messages that reach a persistent session while it takes over its previous
one (routes already moved, handover not yet complete) are stored, and under
durability sync their publishers' PUBACKs wait for that: after a kill -9 the
acknowledged messages are all there. The broker's test hook
ACTORMQ_TEST_HANDOVER_DELAY_MS holds the handover open so that the window is
certain."""

import shutil
import signal
import tempfile
import time
import unittest

from harness import (Broker, RawClient, connect_packet, main, publish_packet, read_varint, session_expiry_prop,
                     subscribe_packet)

DELAY_MS = 1500


def publish_qos1_from(packets):
    """(payload, dup) of the QoS 1 PUBLISHes among v5 packets."""
    out = []
    for first, body in packets:
        if first >> 4 != 3:
            continue
        n = int.from_bytes(body[:2], "big")
        rest = body[2 + n + 2:]  # topic, packet id
        plen, i = read_varint(rest, 0)
        out.append((rest[i + plen:], bool(first & 0x08)))
    return out


class TakeoverStore(unittest.TestCase):
    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="actormq-data-")
        self.config = {"data_dir": self.data, "durability": "sync", "sys_interval": 0}
        self.broker = None

    def tearDown(self):
        if self.broker is not None:
            self.broker.stop(signal.SIGKILL)
        shutil.rmtree(self.data, ignore_errors=True)

    def connect_s(self, port):
        c = RawClient(port)
        c.send(connect_packet(b"s", version=5, clean=False, props=session_expiry_prop(300)))
        return c

    def test_deliveries_during_a_takeover_are_stored_before_they_are_acknowledged(self):
        self.broker = Broker(self.config, env={"ACTORMQ_TEST_HANDOVER_DELAY_MS": str(DELAY_MS)})
        port = self.broker.port
        s = self.connect_s(port)
        self.assertEqual(s.recv_packet()[0] >> 4, 2)
        s.send(subscribe_packet([(b"t/#", 1)], version=5))
        self.assertEqual(s.recv_packet()[0] >> 4, 9)
        s.send(b"\xe0\x00")  # offline from now on: a persistent session
        s.close()
        time.sleep(0.2)

        # The same client id again: the new session waits DELAY_MS for the
        # handover, while the routes already lead to it.
        s = self.connect_s(port)
        time.sleep(0.3)
        p = RawClient(port)
        self.assertEqual(p.connect(b"p", version=5)[0] >> 4, 2)
        sent_at = time.time()
        for i in range(3):
            p.send(publish_packet("t/x", b"m%d" % i, qos=1, packet_id=i + 1, version=5))
        acks = []
        while len(acks) < 3:
            pk = p.recv_packet(timeout=DELAY_MS / 1000 + 5)
            self.assertIsNotNone(pk, "PUBACKs: %r" % acks)
            if pk[0] >> 4 == 4:
                acks.append(int.from_bytes(pk[1][:2], "big"))
        acked_after = time.time() - sent_at
        self.broker.proc.send_signal(signal.SIGKILL)  # at once: before or after the handover
        self.broker.proc.wait()
        self.assertEqual(sorted(acks), [1, 2, 3])
        s.close()
        p.close()
        self.broker.stop()

        self.broker = Broker(self.config, port=port)
        s = self.connect_s(port)
        connack = s.recv_packet()
        self.assertEqual(connack[0] >> 4, 2)
        self.assertEqual(connack[1][0] & 1, 1, "session present")
        packets = s.recv_until_quiet(timeout=1.5)
        s.close()
        got = [payload for payload, _ in publish_qos1_from(packets)]
        self.assertEqual(got, [b"m0", b"m1", b"m2"],
                         "acknowledged %.2f s after sending; after the restart: %r" % (acked_after, got))


if __name__ == "__main__":
    main()
