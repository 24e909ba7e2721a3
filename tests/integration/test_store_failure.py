"""Durability sync on a store that fails: data_dir on a small tmpfs that is
filled up. A QoS 1 message whose write fails gets no PUBACK and its client is
disconnected (v5: DISCONNECT 0x97; 3.1.1: closed), the broker keeps running
and says which data_dir failed; once space is freed the client's resend is
acknowledged, and after a kill -9 and restart every acknowledged message is
there. Needs root (mount); skipped otherwise."""

import errno
import os
import signal
import subprocess
import tempfile
import threading
import unittest

import paho.mqtt.client as mqtt

from harness import Broker, RawClient, main, publish_packet, subscribe_packet, wait_for

BIG = 512 * 1024  # more than the free pages LMDB may have: the write needs new ones


def mount_tmpfs(path, size):
    """None if mounted, else why not."""
    if os.geteuid() != 0:
        return "needs root to mount a tmpfs"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path], capture_output=True,
                       text=True)
    if r.returncode != 0:
        return "mount not permitted here: " + r.stderr.strip()
    return None


def fill(directory):
    """Writes a file until the file system is full; returns its path."""
    path = os.path.join(directory, "filler")
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
    return path


def puback_packet_ids(packets):
    return [int.from_bytes(body[:2], "big") for first, body in packets if first >> 4 == 4]


class Sink:
    """A persistent 3.1.1 subscriber (clean session 0) collecting payloads."""

    def __init__(self, port, subscribe=False):
        self.got = []
        self.lock = threading.Lock()
        self.c = mqtt.Client(client_id="sink", clean_session=False, protocol=mqtt.MQTTv311)
        self.c.on_message = self.on_message
        self.subscribed = threading.Event()
        self.c.on_subscribe = lambda *a: self.subscribed.set()
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        if subscribe:
            self.c.subscribe("store/#", 1)
            assert self.subscribed.wait(5), "no SUBACK"

    def on_message(self, c, u, m):
        with self.lock:
            self.got.append(bytes(m.payload[:16]).rstrip(b"."))

    def payloads(self):
        with self.lock:
            return list(self.got)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


class StoreFailure(unittest.TestCase):
    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="actormq-tmpfs-")
        why = mount_tmpfs(self.mnt, "6m")
        if why:
            os.rmdir(self.mnt)
            self.skipTest(why)
        self.data = os.path.join(self.mnt, "data")
        self.config = {"data_dir": self.data, "durability": "sync", "sys_interval": 0}
        self.broker = None

    def tearDown(self):
        if self.broker is not None:
            self.broker.stop(signal.SIGKILL)
        subprocess.run(["umount", self.mnt], check=False)
        os.rmdir(self.mnt)

    def publish_raw(self, client, payload, packet_id, dup=False, version=5):
        packet = bytearray(publish_packet("store/t", payload, qos=1, packet_id=packet_id, version=version))
        if dup:
            packet[0] |= 0x08
        client.send(bytes(packet))

    def test_unstored_message_is_not_acknowledged_and_comes_back_after_a_resend(self):
        self.broker = Broker(self.config)
        port = self.broker.port
        Sink(port, subscribe=True).close()  # offline from now on: its queue is stored

        v5 = RawClient(port)
        self.assertEqual(v5.connect(b"pub5", version=5)[0] >> 4, 2)
        for i in range(5):
            self.publish_raw(v5, b"small%d" % i, i + 1)
            reply = v5.recv_packet()
            self.assertIsNotNone(reply, "no PUBACK for small%d" % i)
            self.assertEqual(puback_packet_ids([reply]), [i + 1])

        filler = fill(self.mnt)
        big = b"big5" + b"." * BIG
        self.publish_raw(v5, big, 100)
        packets = v5.recv_until_quiet(timeout=5)
        self.assertEqual(puback_packet_ids(packets), [], "PUBACK for a message that was not stored")
        # LMDB reports a write cut short by the full disk as EIO: 0x80, not 0x97.
        self.assertIn([(f, body[:1]) for f, body in packets], ([(0xE0, b"\x80")], [(0xE0, b"\x97")]),
                      "expected DISCONNECT 0x80 or 0x97 and a close")
        v5.close()

        v3 = RawClient(port)
        self.assertEqual(v3.connect(b"pub3", version=4)[0] >> 4, 2)
        big3 = b"big3" + b"." * BIG
        self.publish_raw(v3, big3, 7, version=4)
        data, closed = v3.recv_all(timeout=5)
        self.assertTrue(closed, "3.1.1 client not disconnected")
        self.assertEqual(data, b"", "3.1.1 client got an answer for a message that was not stored")
        v3.close()

        # A SUBSCRIBE of a persistent session is answered once its record is
        # stored: not at all while the store fails.
        sub = RawClient(port)
        expiry = b"\x11" + (300).to_bytes(4, "big")
        self.assertEqual(sub.connect(b"sub5", version=5, clean=False, props=expiry)[0] >> 4, 2)
        sub.send(subscribe_packet([(b"other/#", 1)], packet_id=9, version=5))
        packets = sub.recv_until_quiet(timeout=5)
        self.assertNotIn(0x90, [f for f, _ in packets], "SUBACK for a subscription that was not stored")
        self.assertIn([(f, body[:1]) for f, body in packets], ([(0xE0, b"\x80")], [(0xE0, b"\x97")]))
        sub.close()

        self.assertTrue(self.broker.alive())
        self.assertTrue(wait_for(lambda: "data_dir %s: commit of" % self.data in self.broker.output(), 3),
                        self.broker.output())

        # Space again: the clients resend (MQTT 4.4) and are acknowledged.
        os.unlink(filler)
        v5 = RawClient(port)
        self.assertEqual(v5.connect(b"pub5", version=5)[0] >> 4, 2)
        self.publish_raw(v5, big, 100, dup=True)
        reply = v5.recv_packet(timeout=5)
        self.assertIsNotNone(reply, "no PUBACK once the store works again")
        self.assertEqual(puback_packet_ids([reply]), [100])
        v5.close()
        v3 = RawClient(port)
        self.assertEqual(v3.connect(b"pub3", version=4)[0] >> 4, 2)
        self.publish_raw(v3, big3, 7, dup=True, version=4)
        reply = v3.recv_packet(timeout=5)
        self.assertIsNotNone(reply, "no PUBACK for the 3.1.1 resend")
        self.assertEqual(puback_packet_ids([reply]), [7])
        v3.close()

        # A fresh broker over the same store has everything acknowledged.
        self.broker.stop(signal.SIGKILL)
        self.broker = Broker(self.config, port=port)
        sink = Sink(port)
        acknowledged = [b"small%d" % i for i in range(5)] + [b"big5", b"big3"]
        wait_for(lambda: set(acknowledged) <= set(sink.payloads()), 10)
        got = sink.payloads()
        sink.close()
        for p in acknowledged:
            self.assertIn(p, got)
        self.assertEqual(got[:5], acknowledged[:5], "order of the stored queue")


if __name__ == "__main__":
    main()
