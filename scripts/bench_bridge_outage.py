#!/usr/bin/python3
"""The outage half of scripts/bench_bridge.sh: acknowledged QoS 1 messages
lost by a bridge across an outage of its remote.

Starts the remote (mosquitto -c REMOTE_CONF, persistence on, so that what
it acknowledged to the bridge survives its own stop), subscribes a
persistent session there, then publishes QoS 1 from PUBLISHERS paho
clients into the local broker (whose bridge forwards o/# to r/o/# on the
remote) for SECONDS seconds; OUTAGE_AT seconds in, the remote is stopped
(SIGTERM) for OUTAGE seconds and started again. Then the subscriber comes
back and takes what arrives until nothing more comes for DRAIN seconds.
Prints one line: acked, received (distinct), lost = acked and never received."""

import argparse
import signal
import subprocess
import threading
import time

import paho.mqtt.client as mqtt


def start_remote(conf, port):
    proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            c = mqtt.Client()
            c.connect("127.0.0.1", port)
            c.disconnect()
            return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the remote did not start")


class Collector:
    """The persistent subscriber on the remote: distinct payloads seen."""

    def __init__(self, port):
        self.seen = set()
        self.last = time.time()
        self.lock = threading.Lock()
        self.c = mqtt.Client(client_id="bench-rsub", clean_session=False)
        self.c.on_message = self.on_message
        self.c.on_connect = lambda c, u, f, rc: c.subscribe("r/#", qos=1)
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def on_message(self, c, u, m):
        with self.lock:
            self.seen.add(m.payload)
            self.last = time.time()

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def publisher(port, index, stop, acked):
    """QoS 1 as fast as paho's window (20) allows; acked gets each payload
    the local broker acknowledged."""
    mine = []
    c = mqtt.Client(client_id="bench-pub-%d" % index)
    c.max_inflight_messages_set(20)
    pending = {}

    def on_publish(c, u, mid):
        payload = pending.pop(mid, None)
        if payload is not None:
            mine.append(payload)
    c.on_publish = on_publish
    c.connect("127.0.0.1", port)
    c.loop_start()
    n = 0
    while not stop.is_set():
        payload = b"%d-%d" % (index, n)
        info = c.publish("o/%d" % index, payload, qos=1)
        pending[info.mid] = payload
        n += 1
        while len(pending) >= 20 and not stop.is_set():
            time.sleep(0.0005)
    time.sleep(2)  # the last acknowledgements
    c.disconnect()
    c.loop_stop()
    acked.extend(mine)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--local-port", type=int, required=True)
    ap.add_argument("--remote-port", type=int, required=True)
    ap.add_argument("--remote-conf", required=True)
    ap.add_argument("--publishers", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=25)
    ap.add_argument("--outage-at", type=float, default=5)
    ap.add_argument("--outage", type=float, default=10)
    ap.add_argument("--drain", type=float, default=5)
    a = ap.parse_args()

    remote = start_remote(a.remote_conf, a.remote_port)
    try:
        sub = Collector(a.remote_port)
        time.sleep(2)  # the bridge connects, the subscription is in place
        stop = threading.Event()
        acked = []
        threads = [threading.Thread(target=publisher, args=(a.local_port, i, stop, acked))
                   for i in range(a.publishers)]
        for t in threads:
            t.start()
        time.sleep(a.outage_at)
        remote.send_signal(signal.SIGTERM)
        remote.wait(30)
        time.sleep(a.outage)
        remote = start_remote(a.remote_conf, a.remote_port)
        time.sleep(max(0.0, a.seconds - a.outage_at - a.outage))
        stop.set()
        for t in threads:
            t.join()
        sub.close()
        seen = sub.seen
        sub = Collector(a.remote_port)  # the queued messages of its session, then the rest
        end = time.time() + 300
        while time.time() < end and time.time() - sub.last < a.drain:
            time.sleep(0.2)
        sub.close()
        seen |= sub.seen
        lost = len(set(acked) - seen)
        print("acked=%d received=%d lost=%d lost_pct=%.1f" %
              (len(acked), len(seen), lost, 100.0 * lost / max(1, len(acked))))
    finally:
        if remote.poll() is None:
            remote.send_signal(signal.SIGTERM)
            remote.wait(30)


if __name__ == "__main__":
    main()
