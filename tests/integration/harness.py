"""Shared helpers for the integration tests: start the real broker on a free
loopback port, run mosquitto clients, speak raw MQTT bytes. Every process a
test starts is stopped when the test ends (and at interpreter exit)."""

import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

ACTORMQ = os.environ.get(
    "ACTORMQ_BIN",
    os.path.join(os.path.dirname(__file__), "..", "..", "build", "core", "actormq"))

_started = []
_brokers = []  # every Broker: an upgraded one runs as a process the pid_file names


def _cleanup():
    for b in _brokers:
        b.stop_upgraded(signal.SIGKILL)
    for p in _started:
        if p.poll() is None:
            p.kill()
            p.wait()


def process_running(pid):
    """True while `pid` exists and is not a zombie (a process that is not our
    child, such as the new process of an upgrade, is reaped elsewhere)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


atexit.register(_cleanup)


def sanitized():
    """True if the broker under test is an ASan build: its resident memory then
    includes the sanitizer's quarantine of freed blocks, so memory bounds do
    not apply."""
    r = subprocess.run(["ldd", ACTORMQ], capture_output=True, text=True)
    return "libasan" in r.stdout


# Ports handed out by free_port in this process: a test often takes several
# before any broker binds them.
_handed_out = set()


def free_port():
    """A loopback port free now, below the kernel's ephemeral range
    (32768-60999 by default): a port the kernel picked for us could be any
    client connection's source port by the time the broker binds it, and
    tests run in parallel make many connections."""
    for _ in range(1000):
        port = random.randint(10000, 32767)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free loopback port found in 10000-32767")


def wait_for(pred, timeout=5.0):
    """Polls pred() until it holds or `timeout` seconds pass; its last answer."""
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def wait_port(port, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class Broker:
    """The actormq binary on 127.0.0.1:<free port>. `config` (a dict) is
    written to a JSON file; the port is set on its first listener."""

    def __init__(self, config=None, args=(), port=None, env=None, host="127.0.0.1", prefix=(), binary=None):
        self.port = port or free_port()
        self.host = host  # elsewhere than loopback: in a network namespace (prefix enters it)
        self.dir = tempfile.mkdtemp(prefix="actormq-test-")
        self.log_path = os.path.join(self.dir, "broker.log")
        cmd = [*prefix, binary or ACTORMQ, "--port", str(self.port), "--bind", host]
        if config is not None:
            path = os.path.join(self.dir, "config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            cmd += ["--config", path]
        cmd += list(args)
        pid_file = (config or {}).get("pid_file")
        self.pid_file = os.path.join(self.dir, pid_file) if pid_file else None
        self.log = open(self.log_path, "w")
        self.final_output = None  # the log, kept once the broker is stopped and its files removed
        full_env = None
        if env:
            full_env = dict(os.environ)
            full_env.update(env)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir,
                                     env=full_env)
        _started.append(self.proc)
        _brokers.append(self)
        # Every listener of the config, not only the first one the port probe
        # reaches: the first one completes TCP handshakes as soon as it
        # listens, before the later ones are bound.
        self.listener_count = len((config or {}).get("listeners", [])) or 1
        if not self._wait_started():
            self.stop()
            raise RuntimeError("broker did not start:\n" + self.output())

    def _wait_started(self, timeout=10.0):
        """True once the port answers and every listener has logged that it
        listens, while the broker runs; False as soon as it exits (a refused
        start), so another process that happens to hold the port is not taken
        for it."""
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.02)
        else:
            return False
        while time.time() < end:
            if self.proc.poll() is not None:
                return False
            if self.output().count("listening on ") >= self.listener_count:
                return True
            time.sleep(0.02)
        return False

    def output(self):
        if self.final_output is not None:
            return self.final_output
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def upgraded_pid(self):
        """The process the pid_file names if it is not the one started here
        (an upgrade's new process), else None."""
        if not self.pid_file:
            return None
        try:
            with open(self.pid_file) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if pid != self.proc.pid and process_running(pid) else None

    def stop_upgraded(self, sig=signal.SIGTERM, timeout=10):
        """Stops the process an upgrade left serving, so that it does not
        outlive the test."""
        pid = self.upgraded_pid()
        if pid is None:
            return
        try:
            os.kill(pid, sig)
            end = time.time() + timeout
            while process_running(pid) and time.time() < end:
                time.sleep(0.02)
            if process_running(pid):
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stops the broker (and the process an upgrade of it left serving);
        returns the exit code of the one started here."""
        self.stop_upgraded(sig, timeout)
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.final_output is None:
            self.log.close()
            with open(self.log_path) as f:
                self.final_output = f.read()
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class BrokerTestCase(unittest.TestCase):
    """A broker per test, started with the class's `config` (self.broker,
    self.port); it must exit 0 when the test ends."""

    config = None

    def setUp(self):
        self.broker = Broker(self.config)
        self.port = self.broker.port

    def tearDown(self):
        self.assertEqual(self.broker.stop(), 0, self.broker.output())


def run(cmd, timeout=10, input=None):
    """Runs a client command; returns CompletedProcess (text)."""
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)


class Sub:
    """mosquitto_sub in the background; .lines() waits for it to finish."""

    def __init__(self, port, topic, *extra, count=None, timeout=5, version="311", fmt=None):
        cmd = ["mosquitto_sub", "-p", str(port), "-V", version, "-W", str(timeout)]
        for t in ([topic] if isinstance(topic, str) else topic):
            cmd += ["-t", t]
        if count is not None:
            cmd += ["-C", str(count)]
        if fmt is not None:
            cmd += ["-F", fmt]
        else:
            cmd += ["-v"]
        cmd += list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _started.append(self.proc)
        time.sleep(0.3)  # let it connect and subscribe

    def lines(self, timeout=15):
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return [l for l in out.splitlines() if l]


def pub(port, topic, message, *extra, version="311"):
    r = run(["mosquitto_pub", "-p", str(port), "-V", version, "-t", topic, "-m", message] + list(extra))
    if r.returncode != 0:
        raise AssertionError("mosquitto_pub failed: " + r.stderr)
    return r


class RawClient:
    """A raw TCP connection for sending hand-made (or malformed) bytes."""

    def __init__(self, port, timeout=5, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)

    def send(self, data):
        self.sock.sendall(data)

    def recv_all(self, timeout=3):
        """Everything until the broker closes the connection (or timeout)."""
        self.sock.settimeout(timeout)
        data = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return data, True
                data += chunk
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True  # closed with unread input: the kernel answers RST

    def recv_packet(self, timeout=3):
        """The next whole packet as (first byte, body), or None when closed/timed out."""
        self.sock.settimeout(timeout)
        buf = getattr(self, "_buf", b"")
        end = time.time() + timeout
        while True:
            pk = parse_packets(buf)
            if pk:
                first, body = pk[0]
                hdr = 1 + len(encode_varint(len(body)))
                self._buf = buf[hdr + len(body):]
                return pk[0]
            left = end - time.time()
            if left <= 0:
                self._buf = buf
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                self._buf = buf
                return None
            if not chunk:
                self._buf = buf
                return None
            buf += chunk

    def recv_for(self, seconds):
        """Every packet that arrives within `seconds` (fewer if the connection
        closes): a list of (first byte, body)."""
        packets = []
        end = time.time() + seconds
        while True:
            p = self.recv_packet(max(0.0, end - time.time()))
            if p is None:
                return packets
            packets.append(p)

    def recv_until_quiet(self, timeout=3):
        """Every packet that arrives until none comes for `timeout` seconds
        (or the connection closes): a list of (first byte, body)."""
        packets = []
        while True:
            p = self.recv_packet(timeout)
            if p is None:
                return packets
            packets.append(p)

    def connect(self, client_id=b"raw", version=4, clean=True, keepalive=60, props=b""):
        """Sends CONNECT and returns the CONNACK (first byte, body) or None."""
        self.send(connect_packet(client_id, version, clean, keepalive, props))
        return self.recv_packet()

    def close(self):
        self.sock.close()


class RawV5(RawClient):
    """A raw MQTT 5 client, connected (CONNACK success asserted), that
    acknowledges nothing unless told: for flow control, where PUBACKs must be
    withheld, and for hand-made packets after a good CONNECT."""

    def __init__(self, port, client_id, connect_props=b"", clean=True, host="127.0.0.1"):
        super().__init__(port, host=host)
        self.send(connect_packet(client_id, version=5, clean=clean, props=connect_props))
        ack = self.recv_packet(3)
        assert ack is not None and ack[0] == 0x20 and ack[1][1] == 0, ack

    def publishes(self, timeout):
        """Every PUBLISH that arrives within `timeout`: [(packet id or None, payload)]."""
        out = []
        for first, body in self.recv_for(timeout):
            if first >> 4 != 3:
                continue
            i = 2 + int.from_bytes(body[0:2], "big")
            pid = None
            if (first >> 1) & 3:
                pid = int.from_bytes(body[i:i + 2], "big")
                i += 2
            plen, i = read_varint(body, i)
            out.append((pid, body[i + plen:]))
        return out

    def subscribe(self, topic, qos=1):
        """SUBSCRIBE (packet id 1) and wait for its SUBACK."""
        self.send(subscribe_packet([(topic, qos)], version=5))
        pkt = self.recv_packet(3)
        assert pkt is not None and pkt[0] == 0x90, pkt

    def puback(self, packet_id):
        self.send(b"\x40\x02" + packet_id.to_bytes(2, "big"))


class RawAsserts:
    """Assertions on what a raw connection receives, for a unittest.TestCase."""

    def assert_disconnected(self, client, reason, timeout=3):
        """The broker sends an MQTT 5 DISCONNECT with `reason` first, then
        closes; returns all it sent."""
        data, closed = client.recv_all(timeout)
        self.assertTrue(closed)
        self.assertEqual(data[:1], b"\xe0", data)
        self.assertEqual(data[2], reason, data)
        return data


def connect_packet(client_id=b"raw", version=4, clean=True, keepalive=60, props=b"",
                   username=None, password=None, will=None):
    """A CONNECT (3.1.1 when version=4, 5.0 when version=5); `will` is
    (topic, message, qos, retain), with empty will properties on 5.0."""
    flags = 0x02 if clean else 0
    if username is not None:
        flags |= 0x80
    if password is not None:
        flags |= 0x40
    if will is not None:
        flags |= 0x04 | (will[2] << 3) | (0x20 if will[3] else 0)
    vh = b"\x00\x04MQTT" + bytes([version, flags]) + keepalive.to_bytes(2, "big")
    if version == 5:
        vh += encode_varint(len(props)) + props
    payload = utf8_str(client_id)
    if will is not None:
        if version == 5:
            payload += b"\x00"  # will properties
        payload += utf8_str(will[0]) + utf8_str(will[1])
    if username is not None:
        payload += utf8_str(username)
    if password is not None:
        payload += utf8_str(password)
    body = vh + payload
    return b"\x10" + encode_varint(len(body)) + body


def will_connect(client_id, topic, msg, qos=0, retain=False, version=4):
    """A clean-session CONNECT carrying a will."""
    return connect_packet(client_id, version, will=(topic, msg, qos, retain))


def session_expiry_prop(seconds):
    """The CONNECT property Session Expiry Interval (0x11), for `props`."""
    return b"\x11" + seconds.to_bytes(4, "big")


def encode_varint(n):
    out = b""
    while True:
        b = n % 128
        n //= 128
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def read_varint(data, i):
    """The Variable Byte Integer at data[i] (MQTT 1.5.5) and the index after it."""
    mult, value = 1, 0
    while True:
        b = data[i]
        value += (b & 0x7F) * mult
        mult *= 128
        i += 1
        if not b & 0x80:
            return value, i


def utf8_str(s):
    b = s.encode() if isinstance(s, str) else s
    return len(b).to_bytes(2, "big") + b


def publish_packet(topic, payload=b"", qos=0, retain=False, packet_id=1, version=4, props=b""):
    """A PUBLISH (topic/payload str or bytes); v5 adds the property block."""
    body = utf8_str(topic)
    if qos:
        body += packet_id.to_bytes(2, "big")
    if version == 5:
        body += encode_varint(len(props)) + props
    body += payload.encode() if isinstance(payload, str) else payload
    first = 0x30 | (qos << 1) | (1 if retain else 0)
    return bytes([first]) + encode_varint(len(body)) + body


def subscribe_packet(filters, packet_id=1, version=4, props=b""):
    """A SUBSCRIBE of [(filter, options byte)] pairs; v5 adds the property block."""
    body = packet_id.to_bytes(2, "big")
    if version == 5:
        body += encode_varint(len(props)) + props
    for f, opts in filters:
        body += utf8_str(f) + bytes([opts])
    return b"\x82" + encode_varint(len(body)) + body


def disconnect_packet(reason=None):
    if reason is None:
        return b"\xe0\x00"
    return b"\xe0\x01" + bytes([reason])


def parse_packets(data):
    """Splits raw bytes into [(first byte, body)]; a trailing partial packet is dropped."""
    out = []
    i = 0
    while i < len(data):
        first = data[i]
        mult, length, j = 1, 0, i + 1
        while True:
            if j >= len(data):
                return out
            b = data[j]
            length += (b & 0x7F) * mult
            mult *= 128
            j += 1
            if not b & 0x80:
                break
        if j + length > len(data):
            return out
        out.append((first, data[j:j + length]))
        i = j + length
    return out


def publishes(packets, version=4):
    """The (topic, payload bytes) of every PUBLISH among [(first byte, body)]."""
    out = []
    for first, body in packets:
        if first >> 4 != 3:
            continue
        n = int.from_bytes(body[:2], "big")
        i = 2 + n
        if (first >> 1) & 3:
            i += 2  # packet id
        if version == 5:
            length, i = read_varint(body, i)
            i += length
        out.append((body[2:2 + n].decode(), body[i:]))
    return out


def main():
    unittest.main(verbosity=2)
