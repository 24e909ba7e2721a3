"""MQTT 5 limits the client sets for what the broker sends it: Receive
Maximum (flow control), Maximum Packet Size, Topic Alias Maximum."""

import struct
import time
import unittest

from harness import Broker, RawClient, connect_packet, encode_varint, main, pub


def subscribe_v5(packet_id, flt, qos):
    body = struct.pack(">H", packet_id) + b"\x00" + struct.pack(">H", len(flt)) + flt + bytes([qos])
    return b"\x82" + encode_varint(len(body)) + body


def packets(data):
    """Splits a byte stream into (first byte, body) packets."""
    out, i = [], 0
    while i < len(data):
        first = data[i]
        length, shift, j = 0, 0, i + 1
        while j < len(data):
            b = data[j]
            length |= (b & 0x7F) << shift
            j += 1
            if not b & 0x80:
                break
            shift += 7
        if j + length > len(data):
            break
        out.append((first, data[j:j + length]))
        i = j + length
    return out


def read_for(client, seconds):
    client.sock.settimeout(0.2)
    data, end = b"", time.time() + seconds
    while time.time() < end:
        try:
            chunk = client.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        except OSError:
            pass
    return data


def publishes(data):
    return [(f, body) for f, body in packets(data) if f >> 4 == 3]


class Mqtt5Limits(unittest.TestCase):
    def setUp(self):
        self.broker = Broker()

    def tearDown(self):
        self.broker.stop()

    def raw_subscriber(self, cid, props, flt=b"lim/#", qos=1):
        c = RawClient(self.broker.port)
        c.send(connect_packet(cid, version=5, props=props))
        c.send(subscribe_v5(1, flt, qos))
        read_for(c, 0.3)  # CONNACK, SUBACK
        return c

    def test_receive_maximum_bounds_unacknowledged_messages(self):
        c = self.raw_subscriber(b"rm", b"\x21\x00\x02")  # Receive Maximum 2
        for i in range(5):
            pub(self.broker.port, "lim/rm", f"m{i}", "-q", "1")
        first = publishes(read_for(c, 0.5))
        self.assertEqual(len(first), 2)  # no more than 2 in flight
        for _, body in first:
            tlen = struct.unpack(">H", body[:2])[0]
            pid = body[2 + tlen:4 + tlen]
            c.send(b"\x40\x02" + pid)  # PUBACK
        second = publishes(read_for(c, 0.5))
        self.assertEqual(len(second), 2)  # the window moved by the two acks
        c.close()

    def test_maximum_packet_size_skips_large_messages(self):
        c = self.raw_subscriber(b"mps", b"\x27\x00\x00\x00\x40", qos=0)  # 64 bytes
        pub(self.broker.port, "lim/big", "x" * 200)
        pub(self.broker.port, "lim/small", "ok")
        got = publishes(read_for(c, 0.6))
        self.assertEqual(len(got), 1)
        self.assertIn(b"lim/small", got[0][1])
        c.close()

    def test_outbound_topic_alias(self):
        c = self.raw_subscriber(b"ta", b"\x22\x00\x05", qos=0)  # Topic Alias Maximum 5
        for _ in range(3):
            pub(self.broker.port, "lim/aliased/topic", "p")
        got = publishes(read_for(c, 0.6))
        self.assertEqual(len(got), 3)
        topic_lens = [struct.unpack(">H", body[:2])[0] for _, body in got]
        self.assertEqual(topic_lens[0], len("lim/aliased/topic"))  # first names the topic
        self.assertEqual(topic_lens[1:], [0, 0])  # then the alias alone
        for _, body in got:
            tlen = struct.unpack(">H", body[:2])[0]
            props = body[2 + tlen:]
            self.assertIn(b"\x23\x00\x01", props[:8])  # Topic Alias 1
        c.close()


if __name__ == "__main__":
    main()
