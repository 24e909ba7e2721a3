#!/usr/bin/python3
"""The established QoS 1 stream of scripts/bench_upgrade.sh: one publisher
and one subscriber (paho, persistent sessions, paho's own reconnection every
--reconnect seconds) at --rate messages a second for --duration seconds.
Each payload carries its send time (CLOCK_MONOTONIC ns, the clock mqttbench
uses) and a sequence number.

  bench_upgrade_stream.py run --port P --samples FILE [--rate 100] [--duration 600]
      publishes until the duration ends or SIGTERM comes, then waits for the
      last deliveries (--drain s at most) and writes "seq send_ns latency_ns" per message received (first copy), and
      "seq send_ns -1" for one published but never received
  bench_upgrade_stream.py window FILE START_NS END_NS
      one line: the latency of the messages sent between START_NS and END_NS
      (the disruption): n (received), p50_ms, p99_ms, max_ms, lost (acknowledged,
      never delivered), unacked (never acknowledged), duplicates (whole run)
"""

import argparse
import os
import signal
import struct
import sys
import threading
import time

STAMP = struct.Struct(">QQ")


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[i]


def run(args):
    import paho.mqtt.client as mqtt

    tag = "%d" % os.getpid()
    topic = "bench/stream/" + tag
    received = {}  # seq -> (send_ns, latency_ns)
    duplicates = [0]
    lock = threading.Lock()
    subscribed = threading.Event()

    def on_sub_connect(client, userdata, flags, rc):
        # Every time: a broker restarted without persistence has lost the session.
        client.subscribe(topic, qos=1)

    def on_subscribe(client, userdata, mid, granted):
        subscribed.set()

    def on_message(client, userdata, msg):
        now = time.monotonic_ns()
        send_ns, seq = STAMP.unpack_from(msg.payload)
        with lock:
            if seq in received:
                duplicates[0] += 1
            else:
                received[seq] = (send_ns, now - send_ns)

    def client(cid):
        c = mqtt.Client(client_id=cid, clean_session=False, protocol=mqtt.MQTTv311)
        c.reconnect_delay_set(min_delay=args.reconnect, max_delay=args.reconnect)
        c.max_queued_messages_set(0)  # while disconnected, paho keeps them all
        return c

    sub = client("stream-sub-" + tag)
    sub.on_connect = on_sub_connect
    sub.on_subscribe = on_subscribe
    sub.on_message = on_message
    sub.connect("127.0.0.1", args.port, keepalive=30)
    sub.loop_start()
    if not subscribed.wait(10):
        sys.exit("stream: the subscriber did not subscribe")
    pub = client("stream-pub-" + tag)
    acked_mids = set()

    def on_publish(client, userdata, mid):
        with lock:
            acked_mids.add(mid)

    pub.on_publish = on_publish
    pub.connect("127.0.0.1", args.port, keepalive=30)
    pub.loop_start()
    sent = {}
    mids = {}  # seq -> mid
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    start = time.monotonic()
    period = 1.0 / args.rate
    seq = 0
    while time.monotonic() - start < args.duration and not stop.is_set():
        now = time.monotonic_ns()
        sent[seq] = now
        # Queued by paho while disconnected and (re)sent once connected.
        mids[seq] = pub.publish(topic, STAMP.pack(now, seq) + b"x" * 48, qos=1).mid
        seq += 1
        time.sleep(max(0.0, start + seq * period - time.monotonic()))
    end = time.monotonic() + args.drain
    while time.monotonic() < end:
        with lock:
            if len(received) >= len(sent):
                break
        time.sleep(0.05)
    pub.loop_stop()
    sub.loop_stop()
    pub.disconnect()
    sub.disconnect()
    with open(args.samples, "w") as f:
        with lock:
            for s, send_ns in sorted(sent.items()):
                latency = received[s][1] if s in received else -1
                f.write("%d %d %d %d\n" % (s, send_ns, latency, 1 if mids[s] in acked_mids else 0))
            f.write("# duplicates %d\n" % duplicates[0])
    lat = sorted(v[1] for v in received.values())
    print("stream: sent=%d acked=%d received=%d duplicates=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f"
          % (len(sent), len(acked_mids), len(received), duplicates[0], percentile(lat, 0.5) / 1e6, percentile(lat, 0.99) / 1e6,
             (lat[-1] if lat else float("nan")) / 1e6), file=sys.stderr)


def window(path, start_ns, end_ns):
    lat = []
    lost = 0
    unacked = 0
    duplicates = 0
    with open(path) as f:
        for line in f:
            if line.startswith("# duplicates"):
                duplicates = int(line.split()[-1])
                continue
            _, send_ns, latency, acked = (int(x) for x in line.split())
            if start_ns <= send_ns <= end_ns:
                if latency >= 0:
                    lat.append(latency)
                elif acked:
                    lost += 1  # the broker acknowledged it and never delivered it
                else:
                    unacked += 1  # never acknowledged (the publisher's client gave it up)
    lat.sort()
    print("n=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f lost=%d unacked=%d duplicates=%d"
          % (len(lat), percentile(lat, 0.5) / 1e6, percentile(lat, 0.99) / 1e6,
             (lat[-1] if lat else float("nan")) / 1e6, lost, unacked, duplicates))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--samples", required=True)
    r.add_argument("--rate", type=float, default=100)
    r.add_argument("--duration", type=float, default=600)
    r.add_argument("--reconnect", type=float, default=0.5)
    r.add_argument("--drain", type=float, default=10)
    w = sub.add_parser("window")
    w.add_argument("file")
    w.add_argument("start_ns", type=int)
    w.add_argument("end_ns", type=int)
    args = p.parse_args()
    if args.mode == "run":
        run(args)
    else:
        window(args.file, args.start_ns, args.end_ns)


if __name__ == "__main__":
    main()
