"""Memory per session stays bounded whatever its reader does.

A subscriber that reads a little slower than its publisher sends never lets
the broker's outgoing backlog to it reach zero. The broker must still hold at
most max_queued_bytes of unsent messages for it (QoS 0 beyond that are dropped
and counted) and release what the socket took as it goes, not once the
backlog is empty, which a slightly slow reader never lets happen."""

import socket
import threading
import time
import unittest

from harness import (Broker, sanitized, RawClient, connect_packet, main, parse_packets, publish_packet,
                     subscribe_packet)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class SlowReader:
    """A raw subscriber with a small receive buffer that reads 16 KB every
    2 ms: slower than the publisher, but never stopped."""

    def __init__(self, port, topic):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        self.sock.settimeout(5)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(connect_packet(b"slow-reader"))
        self.sock.sendall(subscribe_packet([(topic, 0)]))
        got = b""
        while len(parse_packets(got)) < 2:  # CONNACK, SUBACK
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("broker closed the subscriber")
            got += chunk
        self.received = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.sock.settimeout(0.5)
        while not self.stop.is_set():
            try:
                chunk = self.sock.recv(16384)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            self.received += len(chunk)
            time.sleep(0.002)

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


class SlowReaderMemory(unittest.TestCase):
    # Small messages: what the out queue kept of each written message (its
    # encoded bytes) is then all of it. Before the fix the broker's RSS grew
    # by what the reader read (~100 MB here); since, it stays near its start
    # plus max_queued_bytes (8 MB).
    PAYLOAD = 64
    READ_BYTES = 96 << 20
    MAX_SECONDS = 40.0
    GROWTH_BOUND_KIB = 48 << 10

    @unittest.skipIf(sanitized(), "ASan keeps freed memory in its quarantine: RSS says nothing here")
    def test_slow_reader_does_not_pin_memory(self):
        with Broker({"data_dir": "none"}) as broker:
            start = rss_kib(broker.proc.pid)
            reader = SlowReader(broker.port, "mem/slow")
            publisher = RawClient(broker.port)
            self.assertIsNotNone(publisher.connect(b"fast-publisher"))
            packet = publish_packet("mem/slow", b"x" * self.PAYLOAD)
            batch = packet * (65536 // len(packet))
            stop = threading.Event()

            def publish():
                # 64 KB every 5 ms (~13 MB/s): ahead of the reader, not a flood.
                publisher.sock.settimeout(1)
                while not stop.is_set():
                    try:
                        publisher.sock.sendall(batch)
                    except socket.timeout:
                        continue  # throttled: the broker stopped reading us for a while
                    except OSError:
                        return
                    time.sleep(0.005)

            thread = threading.Thread(target=publish, daemon=True)
            thread.start()
            peak = start
            try:
                end = time.time() + self.MAX_SECONDS
                while time.time() < end and reader.received < self.READ_BYTES and broker.alive():
                    peak = max(peak, rss_kib(broker.proc.pid))
                    time.sleep(0.05)
            finally:
                stop.set()
                thread.join(5)
                publisher.close()
                reader.close()
            print(f"\nRSS at start {start} KiB, peak {peak} KiB; the reader took {reader.received} bytes",
                  flush=True)
            self.assertTrue(broker.alive(), broker.output())
            self.assertGreater(reader.received, 0)
            self.assertLess(peak - start, self.GROWTH_BOUND_KIB,
                            f"RSS grew from {start} to {peak} KiB while a slow reader took {reader.received} bytes")

    def test_qos1_beyond_the_byte_bound_waits_and_arrives(self):
        # A window (max_inflight_messages) of 19 MB, more than max_queued_bytes:
        # what the byte bound holds back waits in the queue and follows, in
        # order, once the subscriber reads.
        count, size = 300, 64 * 1024
        with Broker({"data_dir": "none", "max_inflight_messages": 1000}) as broker:
            sub = RawClient(broker.port, timeout=10)
            self.assertIsNotNone(sub.connect(b"late-reader"))
            sub.send(subscribe_packet([("mem/q1", 1)]))
            self.assertIsNotNone(sub.recv_packet())  # SUBACK
            publisher = RawClient(broker.port, timeout=30)
            self.assertIsNotNone(publisher.connect(b"q1-publisher"))
            publisher.send(b"".join(
                publish_packet("mem/q1", i.to_bytes(4, "big") * (size // 4), qos=1, packet_id=i + 1)
                for i in range(count)))
            time.sleep(1.0)  # the subscriber reads nothing meanwhile: the backlog passes the bound
            got = []
            while len(got) < count:
                p = sub.recv_packet(timeout=10)
                self.assertIsNotNone(p, f"{len(got)} of {count} arrived")
                first, body = p
                self.assertEqual(first & 0xF6, 0x32)  # PUBLISH, QoS 1
                tlen = int.from_bytes(body[:2], "big")
                pid = body[2 + tlen:4 + tlen]
                got.append(int.from_bytes(body[4 + tlen:8 + tlen], "big"))
                sub.send(b"\x40\x02" + pid)  # PUBACK
            self.assertEqual(got, list(range(count)))
            publisher.close()
            sub.close()
            self.assertTrue(broker.alive(), broker.output())


if __name__ == "__main__":
    main()
