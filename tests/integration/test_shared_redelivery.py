"""Shared subscriptions (MQTT 5 4.8.2): a member that goes away with QoS 1
messages unacknowledged hands them to another member of the group."""

import time
import unittest

import paho.mqtt.client as mqtt

from harness import Broker, RawClient, connect_packet, main, subscribe_packet


class SharedRedelivery(unittest.TestCase):
    def test_unacknowledged_messages_go_to_another_member(self):
        with Broker(config={"shared_subscription_strategy": "round_robin"}) as broker:
            # Member A: a raw v5 client that never acknowledges.
            a = RawClient(broker.port)
            a.send(connect_packet(b"member-a", version=5))
            a.send(subscribe_packet([(b"$share/g/jobs", 1)], version=5))
            time.sleep(0.3)
            got = []
            b = mqtt.Client(client_id="member-b", protocol=mqtt.MQTTv5)
            b.on_message = lambda c, u, m: got.append(m.payload)
            b.connect("127.0.0.1", broker.port)
            b.subscribe("$share/g/jobs", qos=1)
            b.loop_start()
            time.sleep(0.3)
            p = mqtt.Client(client_id="producer", protocol=mqtt.MQTTv5)
            p.connect("127.0.0.1", broker.port)
            p.loop_start()
            for i in range(6):
                p.publish("jobs", f"job{i}", qos=1).wait_for_publish()
            time.sleep(0.5)
            self.assertTrue(0 < len(got) < 6, got)  # round robin: A holds some, unacknowledged
            a.close()  # A leaves without acknowledging
            deadline = time.time() + 5
            while len(got) < 6 and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(sorted(got), [f"job{i}".encode() for i in range(6)])
            p.loop_stop()
            b.loop_stop()


if __name__ == "__main__":
    main()
