"""Upgrade without downtime (SIGUSR2, core/upgrade/): the broker starts the
binary at its own path, hands it the listening sockets, drains its clients
into the store and exits 0 once the new process serves; if the new binary
fails, the old process serves on. Every test stops both processes."""

import json
import os
import selectors
import shutil
import signal
import socket
import tempfile
import threading
import time
import unittest

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

import harness
from harness import Broker, RawClient, connect_packet, parse_packets, publishes, read_varint, subscribe_packet, wait_for


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def running(pid):
    """True while `pid` exists and is not a zombie (the new process is not
    our child: its parent, the old process, has exited)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_pid(pid, timeout=10):
    if pid is None or not running(pid):
        return
    os.kill(pid, signal.SIGTERM)
    if not wait_for(lambda: not running(pid), timeout):
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not running(pid), 5)


class Prober(threading.Thread):
    """Every 10 ms: connect, CONNECT with a fresh client id, wait for the
    CONNACK, disconnect. Any refusal, reset or unanswered CONNECT is kept."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop_flag = threading.Event()
        self.answered = 0
        self.failures = []

    def run(self):
        n = 0
        while not self.stop_flag.is_set():
            n += 1
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
                    s.sendall(connect_packet(b"probe-%d" % n))
                    ack = s.recv(4)
                    if len(ack) < 4 or ack[0] != 0x20 or ack[3] != 0:
                        self.failures.append((n, "CONNACK %r" % ack))
                    else:
                        self.answered += 1
                    s.sendall(b"\xe0\x00")
            except OSError as e:
                self.failures.append((n, repr(e)))
            time.sleep(0.01)


class Subscriber:
    """A paho client with a persistent session and a QoS 1 subscription,
    reconnecting by itself (paho's loop thread) when the broker drains it."""

    def __init__(self, port, cid, v5):
        self.received = set()
        self.session_present = []  # of every CONNACK
        self.disconnect_reasons = []
        self.lock = threading.Lock()
        if v5:
            self.c = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv5)
        else:
            self.c = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv311, clean_session=False)
        self.c.reconnect_delay_set(min_delay=1, max_delay=1)
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = self._on_disconnect
        self.c.on_message = self._on_message
        if v5:
            p = Properties(PacketTypes.CONNECT)
            p.SessionExpiryInterval = 300
            # paho's default: clean on the first connection only.
            self.c.connect("127.0.0.1", port, properties=p)
        else:
            self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        assert wait_for(lambda: self.session_present, 5), cid + ": no CONNACK"
        _, mid = self.c.subscribe("up/seq", qos=1)
        time.sleep(0.2)

    def _on_connect(self, client, userdata, flags, rc, properties=None):
        with self.lock:
            self.session_present.append(flags.get("session present"))

    def _on_disconnect(self, client, userdata, rc, properties=None):
        with self.lock:
            self.disconnect_reasons.append(rc.value if hasattr(rc, "value") else rc)

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.received.add(int(msg.payload))

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


class UpgradeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="actormq-upgrade-")
        self.pid_file = os.path.join(self.dir, "actormq.pid")
        self.brokers = []

    def tearDown(self):
        # The new process first: the old one is gone or about to be.
        stop_pid(read_pid(self.pid_file))
        for b in self.brokers:
            b.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, port=None, **extra):
        config = {"data_dir": os.path.join(self.dir, "data"), "pid_file": self.pid_file, "sys_interval": 0}
        config.update(extra)
        os.makedirs(config["data_dir"], exist_ok=True)
        b = Broker(config, port=port)
        self.brokers.append(b)
        # Written once the broker serves, which may be just after its listeners log that they listen.
        self.assertTrue(wait_for(lambda: read_pid(self.pid_file) == b.proc.pid, 10), b.output())
        return b

    def upgrade(self, b):
        """SIGUSR2, then the new process's pid once it names itself in the pid_file."""
        b.proc.send_signal(signal.SIGUSR2)
        self.assertTrue(wait_for(lambda: read_pid(self.pid_file) not in (None, b.proc.pid), 15), b.output())
        return read_pid(self.pid_file)

    def test_no_connection_refused_and_sessions_carried_over(self):
        b = self.start()
        subs = [Subscriber(b.port, "sub311", False), Subscriber(b.port, "sub5", True)]
        acked_mids = set()
        sent = {}
        lock = threading.Lock()

        # Only the mid here: paho calls this holding its own locks, which
        # publish() takes too, so it must not wait for the publishing thread.
        def on_publish(client, userdata, mid):
            with lock:
                acked_mids.add(mid)

        pub = mqtt.Client(client_id="publisher", protocol=mqtt.MQTTv311)
        pub.reconnect_delay_set(min_delay=1, max_delay=1)
        pub.on_publish = on_publish
        pub.connect("127.0.0.1", b.port)
        pub.loop_start()
        prober = Prober(b.port)
        prober.start()
        stop_publishing = threading.Event()

        def publish_loop():
            n = 0
            while not stop_publishing.is_set() and n < 2000:
                info = pub.publish("up/seq", str(n), qos=1)
                with lock:
                    sent[info.mid] = n  # mids do not wrap: at most 2,000 here
                n += 1
                time.sleep(0.005)

        publisher = threading.Thread(target=publish_loop, daemon=True)
        publisher.start()
        try:
            time.sleep(1.0)
            new_pid = self.upgrade(b)
            self.assertEqual(b.proc.wait(10), 0)
            self.assertTrue(running(new_pid))
            # Everyone back, then a while on the new process.
            for s in subs:
                self.assertTrue(wait_for(lambda: len(s.session_present) >= 2, 10), b.output())
            time.sleep(1.0)
        finally:
            stop_publishing.set()
            publisher.join(5)
            prober.stop_flag.set()
            prober.join(15)
        with lock:
            acked_now = {sent[mid] for mid in acked_mids if mid in sent}
        self.assertGreater(len(acked_now), 100)
        try:
            for s in subs:
                self.assertTrue(wait_for(lambda: acked_now <= s.received, 10),
                                "missing at %s: %s" % (s.c._client_id, sorted(acked_now - s.received)[:20]))
                # The reconnection found the session (3.1.1 and 5.0 alike).
                self.assertEqual(s.session_present[0], 0)
                self.assertTrue(all(p == 1 for p in s.session_present[1:]), s.session_present)
            # Both were drained (the reason a v5 client got is checked
            # with raw clients in test_drain_rate_spaces_the_disconnects:
            # paho 1.6 drops a DISCONNECT's reason code without properties).
            self.assertTrue(all(s.disconnect_reasons for s in subs))
        finally:
            pub.loop_stop()
            for s in subs:
                s.close()
        self.assertEqual(prober.failures, [])
        self.assertGreater(prober.answered, 100)
        out = b.output()
        self.assertIn("upgrade: process %d serves; exiting" % new_pid, out)
        self.assertIn("restored 2 sessions", out)

    def test_failed_binary_rolls_back(self):
        # The broker runs from a copy whose file is then replaced by a
        # binary that fails at once: the old process serves on.
        exe = os.path.join(self.dir, "actormq")
        shutil.copy(harness.ACTORMQ, exe)
        saved = harness.ACTORMQ
        harness.ACTORMQ = exe
        try:
            b = self.start()
        finally:
            harness.ACTORMQ = saved
        client = RawClient(b.port)
        self.assertEqual(client.connect(b"stays", clean=False), (0x20, b"\x00\x00"))
        broken = exe + ".new"
        with open(broken, "w") as f:
            f.write("#!/bin/sh\nexit 1\n")
        os.chmod(broken, 0o755)
        os.replace(broken, exe)
        b.proc.send_signal(signal.SIGUSR2)
        self.assertTrue(wait_for(lambda: "this process serves on" in b.output(), 15), b.output())
        self.assertIn("exited with status 1", b.output())
        self.assertTrue(b.alive())
        self.assertTrue(wait_for(lambda: read_pid(self.pid_file) == b.proc.pid, 10), b.output())
        # The client is still connected (PINGREQ answered), and new ones come in.
        client.send(b"\xc0\x00")
        self.assertEqual(client.recv_packet(), (0xD0, b""))
        other = RawClient(b.port)
        self.assertEqual(other.connect(b"new")[0], 0x20)
        other.close()
        client.close()
        self.assertEqual(b.stop(), 0)
        self.assertIsNone(read_pid(self.pid_file))  # removed at the stop

    def test_new_process_failing_after_the_store_was_released_rolls_back(self):
        # The new process reads a config with a second listener on a port
        # someone else holds: it fails after the old one released the
        # store, which then starts again on its own sockets.
        b = self.start()
        client = RawClient(b.port)
        self.assertEqual(client.connect(b"back", clean=False), (0x20, b"\x00\x00"))
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        path = os.path.join(b.dir, "config.json")
        with open(path) as f:
            config = json.load(f)
        config["listeners"] = [{"type": "tcp", "bind": "127.0.0.1", "port": b.port},
                               {"type": "tcp", "bind": "127.0.0.1", "port": taken}]
        with open(path, "w") as f:
            json.dump(config, f)
        try:
            b.proc.send_signal(signal.SIGUSR2)
            self.assertTrue(wait_for(lambda: "this process serves again" in b.output(), 15), b.output())
        finally:
            holder.close()
        self.assertIn("upgrade failed after the hand-over", b.output())
        self.assertTrue(b.alive())
        self.assertTrue(wait_for(lambda: read_pid(self.pid_file) == b.proc.pid, 10), b.output())
        client.close()
        again = RawClient(b.port)
        self.assertEqual(again.connect(b"back", clean=False), (0x20, b"\x01\x00"))  # session present
        again.close()
        self.assertEqual(b.stop(), 0)

    def test_drain_rate_spaces_the_disconnects(self):
        b = self.start(upgrade_drain_rate=25)
        # Even: 3.1.1 with a persistent session; odd: 5.0 with a session expiry.
        clients = []
        for i in range(50):
            c = RawClient(b.port)
            if i % 2 == 0:
                ack = c.connect(b"c%02d" % i, clean=False)
            else:
                ack = c.connect(b"c%02d" % i, version=5, props=harness.session_expiry_prop(300))
            self.assertEqual(ack[0], 0x20)
            c.sock.setblocking(False)
            clients.append(c)
        b.proc.send_signal(signal.SIGUSR2)
        closed = {}
        got = [b""] * len(clients)
        end = time.time() + 15
        while len(closed) < len(clients) and time.time() < end:
            for i, c in enumerate(clients):
                if i in closed:
                    continue
                try:
                    data = c.sock.recv(64)
                    got[i] += data
                    if data == b"":
                        closed[i] = time.time()
                except BlockingIOError:
                    pass
                except OSError:
                    closed[i] = time.time()
            time.sleep(0.005)
        for c in clients:
            c.close()
        self.assertEqual(len(closed), len(clients))
        # v5: DISCONNECT 0x8B (Server shutting down); 3.1.1: closed, nothing sent.
        self.assertEqual(set(got[1::2]), {b"\xe0\x01\x8b"})
        self.assertEqual(set(got[0::2]), {b""})
        new_pid = wait_for(lambda: read_pid(self.pid_file) != b.proc.pid, 15) and read_pid(self.pid_file)
        self.assertTrue(new_pid)
        self.assertEqual(b.proc.wait(10), 0)
        out = b.output()
        # 49 intervals of 40 ms: the broker's own account, and loosely the clients'.
        line = [l for l in out.splitlines() if "upgrade: drained" in l][0]
        self.assertIn("drained 50 clients", line)
        self.assertGreaterEqual(int(line.split(" in ")[1].split()[0]), 1900)
        self.assertGreater(max(closed.values()) - min(closed.values()), 1.2)
        self.assertEqual(out.count("upgrade: client c"), 50)
        self.assertIn("restored 50 sessions", out)

    def test_upgrade_server_reference_sends_v5_clients_there(self):
        b = self.start(upgrade_server_reference="standby.example:1883")
        v5 = RawClient(b.port)
        self.assertEqual(v5.connect(b"ref5", version=5, props=harness.session_expiry_prop(300))[0], 0x20)
        v3 = RawClient(b.port)
        self.assertEqual(v3.connect(b"ref3", clean=False)[0], 0x20)
        new_pid = self.upgrade(b)
        self.assertTrue(new_pid)
        data5, data3 = v5.recv_all(10), v3.recv_all(10)
        v5.close()
        v3.close()
        # DISCONNECT 0x9C (use another server) with the Server Reference (0x1C); 3.1.1: closed.
        reference = b"standby.example:1883"
        props = b"\x1c" + len(reference).to_bytes(2, "big") + reference
        body = b"\x9c" + bytes([len(props)]) + props
        self.assertEqual(data5, (b"\xe0" + bytes([len(body)]) + body, True))
        self.assertEqual(data3, (b"", True))
        self.assertEqual(b.proc.wait(10), 0)

    def test_a_thousand_persistent_clients_resume_after_the_upgrade(self):
        # Half MQTT 5 (sent to the Server Reference, the broker's own address
        # as a load balancer's would be), half 3.1.1 (reconnecting where they were).
        port = harness.free_port()
        reference = "127.0.0.1:%d" % port
        b = self.start(port=port, upgrade_server_reference=reference)
        n = 1000
        clients = []
        for i in range(n):
            version = 5 if i % 2 else 4
            c = RawClient(port)
            ack = c.connect(b"fleet%04d" % i, version=version, clean=False,
                            props=harness.session_expiry_prop(600) if version == 5 else b"")
            self.assertEqual(ack[0], 0x20)
            c.send(subscribe_packet([("fleet/%d" % i, 1)], version=version))
            self.assertEqual(c.recv_packet()[0], 0x90)
            clients.append((c, version))
        acked = set()
        lock = threading.Lock()

        def on_publish(client, userdata, mid):
            with lock:
                acked.add(mid)

        pub = mqtt.Client(client_id="fleet-publisher", protocol=mqtt.MQTTv311)
        pub.reconnect_delay_set(min_delay=1, max_delay=1)
        pub.on_publish = on_publish
        pub.connect("127.0.0.1", port)
        pub.loop_start()
        prober = Prober(port)
        prober.start()
        mids = {}
        try:
            b.proc.send_signal(signal.SIGUSR2)
            # One message for each client while the upgrade runs.
            for i in range(n):
                mids[pub.publish("fleet/%d" % i, b"during %d" % i, qos=1).mid] = i
                time.sleep(0.002)
            self.assertTrue(wait_for(lambda: read_pid(self.pid_file) not in (None, b.proc.pid), 15), b.output())
            self.assertEqual(b.proc.wait(10), 0)
            received = [set() for _ in range(n)]
            present = []
            for i, (c, version) in enumerate(clients):
                data, closed = c.recv_all(10)
                self.assertTrue(closed, "fleet%04d not drained" % i)
                packets = parse_packets(data)
                received[i].update(p for _, p in publishes(packets, version))
                if version == 5:
                    first, body = packets[-1]
                    self.assertEqual((first, body[0]), (0xE0, 0x9C))  # use another server
                    length, j = read_varint(body, 1)
                    self.assertEqual(body[j], 0x1C)  # Server Reference
                    size = int.from_bytes(body[j + 1:j + 3], "big")
                    to = body[j + 3:j + 3 + size].decode()
                    self.assertEqual(to, reference)
                c.close()
                c2 = RawClient(int(to.rsplit(":", 1)[1]) if version == 5 else port)
                ack = c2.connect(b"fleet%04d" % i, version=version, clean=False,
                                 props=harness.session_expiry_prop(600) if version == 5 else b"")
                self.assertEqual(ack[0], 0x20)
                present.append(ack[1][0] & 1)
                clients[i] = (c2, version)
            self.assertEqual(present, [1] * n)
            # Every message the broker acknowledged reaches its client.
            self.assertTrue(wait_for(lambda: len(acked) >= n, 20), "%d of %d acknowledged" % (len(acked), n))
            with lock:
                expected = {mids[m] for m in acked if m in mids}
            sel = selectors.DefaultSelector()
            buffers = {}
            for i, (c, version) in enumerate(clients):
                c.sock.setblocking(False)
                sel.register(c.sock, selectors.EVENT_READ, i)
                buffers[i] = getattr(c, "_buf", b"")
                received[i].update(p for _, p in publishes(parse_packets(buffers[i]), version))
            missing = lambda: [i for i in expected if b"during %d" % i not in received[i]]
            end = time.time() + 30
            while missing() and time.time() < end:
                for key, _ in sel.select(0.2):
                    i = key.data
                    try:
                        chunk = key.fileobj.recv(65536)
                    except BlockingIOError:
                        continue
                    buffers[i] += chunk
                    received[i].update(p for _, p in publishes(parse_packets(buffers[i]), clients[i][1]))
            sel.close()
            self.assertEqual(missing(), [])
            self.assertEqual(len(expected), n)
        finally:
            pub.loop_stop()
            prober.stop_flag.set()
            prober.join(15)
            for c, _ in clients:
                c.close()
        self.assertEqual(prober.failures, [])
        self.assertIn("restored %d sessions" % n, b.output())


if __name__ == "__main__":
    unittest.main()
