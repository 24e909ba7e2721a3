"""A small synchronous wrapper around paho-mqtt (1.6) for the MQTT 5 tests:
connect with properties and wait for CONNACK, subscribe and wait for SUBACK,
collect messages with their properties, wait with timeouts. A client the
broker disconnects does not reconnect by itself (paho's loop thread would).
V5TestCase gives each test a broker and closes the clients it made."""

import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from harness import BrokerTestCase, RawAsserts, RawV5

__all__ = ["V5Client", "V5TestCase", "props", "session_expiry", "sub_id", "SubscribeOptions",
           "PacketTypes", "Properties", "mqtt"]


def props(packet_type, **fields):
    """Properties(packet_type) with the given attributes, e.g.
    props(PacketTypes.PUBLISH, ContentType="a/b", UserProperty=[("k", "v")])."""
    p = Properties(packet_type)
    for k, v in fields.items():
        setattr(p, k, v)
    return p


def session_expiry(seconds):
    """CONNECT properties asking for a Session Expiry Interval of `seconds`."""
    return props(PacketTypes.CONNECT, SessionExpiryInterval=seconds)


def sub_id(n):
    """SUBSCRIBE properties with Subscription Identifier `n`."""
    return props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=n)


def prop_dict(p):
    """The properties of a received packet as a dict (empty when none)."""
    if p is None:
        return {}
    return {k: v for k, v in p.json().items()}


class V5Client:
    """One paho MQTT 5 client on its own network thread."""

    def __init__(self, port, cid="", clean_start=True, connect_props=None,
                 keepalive=60, version=mqtt.MQTTv5, timeout=5, expect_ok=True, host="127.0.0.1"):
        self.port = port
        self.version = version
        self.msgs = []
        self.cond = threading.Condition()
        self.connack = None  # (flags, reason code, properties)
        self.disconnects = []  # (reason code, properties) of DISCONNECTs and losses
        self.subacks = {}
        # 3.1.1 has no Clean Start: clean_start is its Clean Session flag.
        session = {} if version == mqtt.MQTTv5 else {"clean_session": clean_start}
        self.c = mqtt.Client(client_id=cid, protocol=version, **session)
        self.c.on_message = self._on_message
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = self._on_disconnect
        self.c.on_subscribe = self._on_subscribe
        if version == mqtt.MQTTv5:
            self.c.connect(host, port, keepalive=keepalive, clean_start=clean_start,
                           properties=connect_props)
        else:
            self.c.connect(host, port, keepalive=keepalive)
        self.c.loop_start()
        if not self._wait(lambda: self.connack is not None or self.disconnects, timeout):
            self.close()
            raise AssertionError("no CONNACK within %ss" % timeout)
        if expect_ok and (self.connack is None or self.connack[1] != 0):
            rc = self.connack[1] if self.connack else None
            self.close()
            raise AssertionError("connect refused: %r" % (rc,))

    # callbacks (network thread)
    def _on_connect(self, c, u, flags, rc, properties=None):
        with self.cond:
            self.connack = (flags, int(getattr(rc, "value", rc)), properties)
            self.cond.notify_all()

    def _on_disconnect(self, c, u, rc, properties=None):
        with self.cond:
            self.disconnects.append((int(getattr(rc, "value", rc)) if rc is not None else None,
                                     properties))
            self.cond.notify_all()
        # Stops paho's loop thread from reconnecting on its own.
        c._state = mqtt.mqtt_cs_disconnecting

    def _on_subscribe(self, c, u, mid, granted, properties=None):
        with self.cond:
            self.subacks[mid] = [int(getattr(g, "value", g)) for g in granted]
            self.cond.notify_all()

    def _on_message(self, c, u, m):
        with self.cond:
            self.msgs.append(m)
            self.cond.notify_all()

    def _wait(self, pred, timeout):
        end = time.time() + timeout
        with self.cond:
            while not pred():
                left = end - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    # API
    @property
    def session_present(self):
        return bool(self.connack[0].get("session present"))

    @property
    def connack_props(self):
        return prop_dict(self.connack[2])

    def subscribe(self, topic, qos=1, options=None, properties=None, timeout=5):
        """Subscribes and waits for SUBACK; returns the granted codes."""
        if self.version == mqtt.MQTTv5:
            opts = options or SubscribeOptions(qos=qos)
            rc, mid = self.c.subscribe(topic, options=opts, properties=properties)
        else:
            rc, mid = self.c.subscribe(topic, qos)
        assert rc == mqtt.MQTT_ERR_SUCCESS, rc
        if not self._wait(lambda: mid in self.subacks, timeout):
            raise AssertionError("no SUBACK for %s" % topic)
        return self.subacks[mid]

    def publish(self, topic, payload=b"", qos=0, retain=False, properties=None, timeout=5):
        info = self.c.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if qos > 0:
            info.wait_for_publish(timeout)
            assert info.is_published(), "publish not acknowledged"
        return info

    def wait_msgs(self, n, timeout=5):
        """Waits until n messages have arrived (or timeout); returns them all."""
        self._wait(lambda: len(self.msgs) >= n, timeout)
        with self.cond:
            return list(self.msgs)

    def quiet(self, seconds=0.5):
        """Lets stray messages arrive; returns what has arrived."""
        time.sleep(seconds)
        with self.cond:
            return list(self.msgs)

    def wait_disconnect(self, timeout=5):
        """The first disconnect (reason code, properties) or None."""
        self._wait(lambda: self.disconnects, timeout)
        return self.disconnects[0] if self.disconnects else None

    def disconnect(self, properties=None, reason=None):
        if reason is not None:
            self.c.disconnect(reasoncode=reason, properties=properties)
        else:
            self.c.disconnect(properties=properties)
        self._wait(lambda: self.disconnects, 3)
        self.c.loop_stop()

    def close(self):
        try:
            self.c.disconnect()
        except Exception:
            pass
        self.c.loop_stop()


class V5TestCase(RawAsserts, BrokerTestCase):
    """BrokerTestCase whose clients made with client() and raw() are closed
    when the test ends, before the broker stops."""

    def setUp(self):
        super().setUp()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        super().tearDown()

    def client(self, *a, **kw):
        """A connected V5Client (see its arguments)."""
        c = V5Client(self.port, *a, **kw)
        self.clients.append(c)
        return c

    def raw(self, client_id, connect_props=b"", clean=True):
        """A connected RawV5 client."""
        r = RawV5(self.port, client_id, connect_props, clean)
        self.clients.append(r)
        return r
