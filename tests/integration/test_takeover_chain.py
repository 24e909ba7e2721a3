"""Quick reconnects: several CONNECTs with one client id, close together, form
a chain of takeovers (each new session asks the one before it, which may itself
still be waiting for its own predecessor's state). Whatever the timing, the
newest connection ends up with the whole session: CONNACK with session present,
its subscription (it receives what is published next) and every QoS 1 message
queued or in flight (MQTT 3.1.2.4, 4.4). The broker's test hook
ACTORMQ_TEST_HANDOVER_DELAY_MS holds every handover open, so that a takeover
certainly reaches a session still waiting for its own."""

import random
import socket
import time
import unittest

from harness import (Broker, RawClient, connect_packet, main, publish_packet, read_varint, session_expiry_prop,
                     subscribe_packet)

CID = b"chain"
TOPIC = "chain/t"


class Conn:
    """A raw connection of the chained client id: acknowledges every QoS 1
    PUBLISH it reads and records its payload."""

    def __init__(self, port, version):
        self.version = version
        self.c = RawClient(port)
        self.connack = None
        self.closed = False
        self.got = []

    def send_connect(self):
        props = session_expiry_prop(600) if self.version == 5 else b""
        self.c.send(connect_packet(CID, version=self.version, clean=False, props=props))

    def poll(self, timeout):
        """Reads one packet (or learns that the connection closed); False on timeout."""
        if self.closed:
            return False
        try:
            pk = self.c.recv_packet(timeout=timeout)
        except OSError:
            pk = None
        if pk is None:
            # recv_packet says None both for a timeout and for a close: ask the socket.
            self.closed = self._eof()
            return self.closed
        first, body = pk
        kind = first >> 4
        if kind == 2:
            self.connack = body
        elif kind == 3:
            qos = (first >> 1) & 3
            n = int.from_bytes(body[:2], "big")
            i = 2 + n
            if qos:
                pid = body[i:i + 2]
                i += 2
                try:
                    self.c.send(b"\x40\x02" + pid)
                except OSError:
                    pass
            if self.version == 5:
                plen, i = read_varint(body, i)
                i += plen
            self.got.append(body[i:])
        elif kind == 14:
            pass  # v5: DISCONNECT 0x8E, the session was taken over
        return True

    def _eof(self):
        self.c.sock.setblocking(False)
        try:
            return self.c.sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True
        finally:
            self.c.sock.setblocking(True)

    def session_present(self):
        return self.connack is not None and self.connack[0] & 1 == 1

    def close(self):
        self.c.close()


class Publisher:
    def __init__(self, port):
        self.c = RawClient(port)
        self.assert_connack(self.c.connect(b"chain-pub"))
        self.next_id = 1

    @staticmethod
    def assert_connack(pk):
        if pk is None or pk[0] >> 4 != 2 or pk[1][1] != 0:
            raise AssertionError("publisher not accepted: %r" % (pk,))

    def send(self, payload):
        pid = self.next_id
        self.next_id = self.next_id % 65535 + 1
        self.c.send(publish_packet(TOPIC, payload, qos=1, packet_id=pid))

    def wait_acks(self, n):
        for _ in range(n):
            pk = self.c.recv_packet(timeout=10)
            if pk is None or pk[0] >> 4 != 4:
                raise AssertionError("no PUBACK for the publisher: %r" % (pk,))


class TakeoverChain(unittest.TestCase):
    def run_rounds(self, version, rounds, env=None, max_gap_ms=5):
        rng = random.Random(1234 + version + rounds)
        with Broker({"sys_interval": 0}, env=env) as broker:
            first = Conn(broker.port, version)
            first.send_connect()
            first.poll(5)
            self.assertIsNotNone(first.connack, "no CONNACK")
            first.c.send(subscribe_packet([(TOPIC.encode(), 1)], version=version))
            pk = first.c.recv_packet()
            self.assertEqual(pk[0] >> 4, 9, "SUBACK")
            publisher = Publisher(broker.port)
            survivor = first
            everything = [first]
            published = []
            for r in range(rounds):
                # QoS 1 messages between rounds: some still in flight or
                # queued when the next takeovers start.
                for k in range(5):
                    payload = b"%d.%d" % (r, k)
                    publisher.send(payload)
                    published.append(payload)
                publisher.wait_acks(5)
                conns = [Conn(broker.port, version) for _ in range(3)]
                everything += conns
                for i, c in enumerate(conns):
                    if i:
                        time.sleep(rng.uniform(0, max_gap_ms) / 1000)
                    c.send_connect()
                # More while the session changes hands.
                for k in range(5, 8):
                    payload = b"%d.%d" % (r, k)
                    publisher.send(payload)
                    published.append(payload)
                publisher.wait_acks(3)
                # Until every new connection has its CONNACK or is closed.
                deadline = time.time() + 15
                pending = conns
                while pending and time.time() < deadline:
                    survivor.poll(0.01)
                    for c in pending:
                        c.poll(0.02)
                    pending = [c for c in pending if not c.closed and c.connack is None]
                self.assertEqual(pending, [], "round %d: a CONNECT got neither CONNACK nor close" % r)
                # The marker reaches the newest connection only, through the
                # subscription it took over.
                marker = b"marker.%d" % r
                publisher.send(marker)
                publisher.wait_acks(1)
                deadline = time.time() + 10
                holders = []
                while time.time() < deadline and not holders:
                    for c in conns + [survivor]:
                        c.poll(0.02)
                    holders = [c for c in conns if marker in c.got]
                self.assertEqual(len(holders), 1,
                                 "round %d: the marker reached %d of the new connections "
                                 "(CONNACKs %r, closed %r)" % (r, len(holders),
                                                             [c.connack for c in conns],
                                                             [c.closed for c in conns]))
                newest = holders[0]
                self.assertTrue(newest.session_present(), "round %d: session present 0" % r)
                # Every other connection of this client id is closed.
                deadline = time.time() + 10
                for c in conns + [survivor]:
                    if c is newest:
                        continue
                    while not c.closed and time.time() < deadline:
                        c.poll(0.05)
                    self.assertTrue(c.closed, "round %d: a superseded connection is still open" % r)
                survivor = newest
            # Nothing acknowledged to the publisher is lost: each message reached
            # one of the connections (QoS 1: some more than once).
            deadline = time.time() + 10
            while time.time() < deadline:
                seen = set()
                for c in everything:
                    seen.update(c.got)
                if seen >= set(published):
                    break
                survivor.poll(0.05)
            missing = [p for p in published if p not in seen]
            self.assertEqual(missing, [], "%d of %d lost" % (len(missing), len(published)))
            for c in everything:
                c.close()
            publisher.c.close()
            self.assertTrue(broker.alive())

    def test_v311_chains_at_random_gaps(self):
        self.run_rounds(4, rounds=40)

    def test_v5_chains_at_random_gaps(self):
        self.run_rounds(5, rounds=25)

    def test_v311_chains_with_held_handovers(self):
        # Each handover waits 150 ms: the second CONNECT's session is certainly
        # still waiting when the third one takes it over.
        self.run_rounds(4, rounds=8, env={"ACTORMQ_TEST_HANDOVER_DELAY_MS": "150"}, max_gap_ms=20)

    def test_v5_chains_with_held_handovers(self):
        self.run_rounds(5, rounds=8, env={"ACTORMQ_TEST_HANDOVER_DELAY_MS": "150"}, max_gap_ms=20)


if __name__ == "__main__":
    main()
