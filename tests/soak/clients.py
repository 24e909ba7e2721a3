"""Clients of the soak test: paho clients over any of the broker's four
listeners (tcp, tls, ws, wss), and the shared context every worker reports to
(counters, problems, the stop events)."""

import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402

TRANSPORTS = ("tcp", "tls", "ws", "wss")
HOST = "127.0.0.1"
USER, PASSWORD = "soak", "soak-pw"


class Context:
    """What every worker shares: the broker's ports and TLS context, the
    phase events, counters and the problems found (each a failed check)."""

    def __init__(self, ports, tls_context, load_s):
        self.ports = ports  # transport -> port
        self.tls = tls_context
        self.t0 = time.time()
        self.load_end = self.t0 + load_s
        self.load_done = threading.Event()  # the load phase is over (or aborted)
        self.abort = threading.Event()  # Ctrl-C or a dead broker: everything stops
        self.lock = threading.Lock()
        self.counters = {}
        self.problems = []
        self.broker_pid = None

    def elapsed(self):
        return time.time() - self.t0

    def log(self, msg):
        print("[%7.1fs] %s" % (self.elapsed(), msg), flush=True)

    def count(self, name, n=1):
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + n

    def get(self, name):
        with self.lock:
            return self.counters.get(name, 0)

    def problem(self, msg):
        with self.lock:
            self.problems.append(msg)
        self.log("PROBLEM " + msg)

    def loading(self):
        return not self.load_done.is_set() and not self.abort.is_set() and time.time() < self.load_end

    def sleep(self, seconds, event=None):
        """Sleeps up to `seconds`; False when the phase (or the run) ended first."""
        event = event or self.load_done
        end = time.time() + seconds
        while time.time() < end:
            if event.is_set() or self.abort.is_set():
                return False
            time.sleep(min(0.2, max(0.0, end - time.time())))
        return True


def new_client(ctx, cid, transport, v5, clean=True, user=None, password=None):
    """A paho client (not connected) for `transport`, MQTT 5 or 3.1.1."""
    ws = transport in ("ws", "wss")
    if v5:
        c = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv5, transport="websockets" if ws else "tcp")
    else:
        c = mqtt.Client(client_id=cid, clean_session=clean, protocol=mqtt.MQTTv311,
                        transport="websockets" if ws else "tcp")
    if ws:
        c.ws_set_options(path="/mqtt")
    if transport in ("tls", "wss"):
        c.tls_set_context(ctx.tls)
    if user is not None:
        c.username_pw_set(user, password)
    _lose_connections_quietly(c)
    c.soak_transport = transport
    c.soak_v5 = v5
    c.soak_clean = clean
    return c


def _lose_connections_quietly(c):
    """paho 1.6 handles only ConnectionError from a socket: an SSL EOF or
    ENOTCONN after an abrupt close (drop() below, or the broker's) would end
    its network thread with a traceback instead of reconnecting."""
    def guard(f):
        def call(*args):
            try:
                return f(*args)
            except (BlockingIOError, ConnectionError):
                raise
            except OSError as e:  # ssl.SSLError included
                raise ConnectionResetError(str(e)) from e
        return call
    c._sock_send = guard(c._sock_send)
    c._sock_recv = guard(c._sock_recv)


def start_connect(ctx, c, keepalive=30, session_expiry=0, will=None):
    """Sends CONNECT (blocking socket connect and, for ws, the upgrade).
    `will` is (topic, payload, qos) or None."""
    if will is not None:
        props = None
        if c.soak_v5 and random.random() < 0.5:
            props = Properties(PacketTypes.WILLMESSAGE)
            props.WillDelayInterval = 1
        c.will_set(will[0], will[1], qos=will[2], properties=props)
    port = ctx.ports[c.soak_transport]
    if c.soak_v5:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = session_expiry
        c.connect(HOST, port, keepalive=keepalive, clean_start=c.soak_clean, properties=props)
    else:
        c.connect(HOST, port, keepalive=keepalive)


def reason_value(rc):
    return int(getattr(rc, "value", rc)) if rc is not None else None


def raw_socket(c):
    """The TCP socket under a paho client (under the WebSocket wrapper too)."""
    s = c.socket()
    return getattr(s, "_socket", s)


def drop(c):
    """Ends the connection without DISCONNECT, as a device losing power would
    (the broker sees end of stream; a will fires)."""
    try:
        raw_socket(c).shutdown(socket.SHUT_RDWR)
    except (OSError, AttributeError):
        pass


def pump(clients, seconds, until=None):
    """Runs paho's network loop of clients driven by hand (no thread) for up
    to `seconds`, or until until() holds; returns until()'s last answer."""
    end = time.time() + seconds
    while time.time() < end:
        if until is not None and until():
            return True
        idle = True
        for c in clients:
            try:
                idle = c.loop(0.01) != mqtt.MQTT_ERR_SUCCESS and idle
            except (OSError, ValueError):
                pass
        if idle:
            time.sleep(0.01)  # every client is closed: loop() returns at once
    return until() if until is not None else True
