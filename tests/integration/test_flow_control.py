"""Flow control under fan-in: eight publishers sending as fast as they can to
one subscriber. The subscriber cannot write as fast as eight clients are
read, so the broker must slow the publishers down (they stop being read and
TCP slows their clients) instead of piling messages up in memory or dropping
them. mqttbench (tests/bench) is the load: it reports every message it sent
and every one that arrived, with its sequence number."""

import os
import subprocess
import unittest

from harness import Broker, _started, main

MQTTBENCH = os.environ.get("MQTTBENCH_BIN", "")


def run_bench(broker, *args):
    cmd = [MQTTBENCH, *args, "-p", str(broker.port), "--broker-pid", str(broker.proc.pid), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _started.append(proc)
    out, err = proc.communicate(timeout=120)
    lines = [l for l in out.splitlines() if l.startswith("RESULT ")]
    if proc.returncode != 0 or len(lines) != 1:
        raise AssertionError(f"mqttbench {args} exited {proc.returncode}:\n{out}\n{err}")
    return dict(kv.split("=", 1) for kv in lines[0].split()[1:])


@unittest.skipUnless(MQTTBENCH and os.access(MQTTBENCH, os.X_OK), "MQTTBENCH_BIN not set")
class FanInFlowControl(unittest.TestCase):
    def check_all_arrived(self, r, broker):
        sent = int(r["sent"])
        self.assertGreater(sent, 10000, r)
        self.assertEqual(int(r["lost"]), 0, r)
        self.assertEqual(int(r["received"]), sent, r)
        self.assertEqual(int(r["duplicates"]), 0, r)
        self.assertTrue(broker.alive(), broker.output())

    def test_qos0_saturating_publishers_lose_nothing(self):
        # Before flow control reached QoS 0, a third of these were dropped and
        # the broker held gigabytes in its subscriber's mailbox.
        with Broker({"data_dir": "none"}) as broker:
            r = run_bench(broker, "fanin", "-P", "8", "-S", "1", "-Q", "0", "-s", "64", "-d", "3")
            self.check_all_arrived(r, broker)

    def test_qos1_saturating_publishers_lose_nothing(self):
        with Broker({"data_dir": "none"}) as broker:
            r = run_bench(broker, "fanin", "-P", "8", "-S", "1", "-Q", "1", "-s", "64", "-d", "3",
                          "--inflight", "100")
            self.check_all_arrived(r, broker)


if __name__ == "__main__":
    main()
