"""log_format on the real binary: "json" writes every log line as one JSON
object with time, level and message (a refused client's line too); a
value it does not know stops the start naming the key."""

import json
import os
import tempfile
import unittest

from harness import ACTORMQ, Broker, RawClient, connect_packet, main, run, wait_for


class LogFormat(unittest.TestCase):
    def test_json_lines(self):
        b = Broker({"log_format": "json", "log_level": "debug"})
        try:
            c = RawClient(b.port)
            c.send(connect_packet(b"id-\xff-\"q\"", 4))  # not UTF-8: refused, and logged
            c.recv_all(2)
            c.close()
            c = RawClient(b.port)
            self.assertEqual(c.connect(b"fine")[0], 0x20)
            c.close()
            self.assertTrue(wait_for(lambda: "fine" in b.output()))
        finally:
            self.assertEqual(b.stop(), 0)
        lines = [l for l in b.output().splitlines() if l]
        self.assertGreater(len(lines), 3)
        for line in lines:
            j = json.loads(line)
            self.assertEqual(list(j), ["time", "level", "message"], line)
            self.assertRegex(j["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn(j["level"], ("error", "warning", "notice", "info", "debug"))
        self.assertTrue(any("fine" in json.loads(l)["message"] for l in lines))

    def test_unknown_format_stops_the_start(self):
        d = tempfile.mkdtemp(prefix="actormq-logfmt-")
        path = os.path.join(d, "c.json")
        try:
            with open(path, "w") as f:
                json.dump({"log_format": "xml"}, f)
            r = run([ACTORMQ, "--config", path])
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("log_format", r.stderr + r.stdout)
        finally:
            os.remove(path)
            os.rmdir(d)


if __name__ == "__main__":
    main()
