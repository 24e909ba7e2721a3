"""The dashboard in headless Chromium, driven over the DevTools protocol:
the page loads without console errors, a wrong password is refused by the
page's own login form, the right one shows the broker's three MQTT
clients, their subscription and retained message and a drawn rate chart,
and the kick button (after its confirm) disconnects that client: its
socket closes, the API no longer lists it and the page shows two.
Exits 77 (skipped) where Debian's chromium is not installed."""

import json
import sys
import unittest

from cdp_util import CHROMIUM, Chromium
from harness import RawClient, connect_packet, main, publish_packet, subscribe_packet, wait_for
from http_util import ApiBroker

IDS = ["dash-1", "dash-2", "dash-3"]


def js(value):
    return json.dumps(value)


class DashboardBrowser(unittest.TestCase):
    def setUp(self):
        self.api = ApiBroker()
        self.addCleanup(self.api.stop)
        self.clients = {}
        for cid in IDS:
            c = RawClient(self.api.port)
            self.addCleanup(c.close)
            c.send(connect_packet(cid.encode(), 4))
            self.assertEqual(c.recv_packet()[0], 0x20)
            self.clients[cid] = c
        self.clients["dash-1"].send(subscribe_packet([(b"dash/#", 1)]))
        self.assertEqual(self.clients["dash-1"].recv_packet()[0], 0x90)
        self.clients["dash-3"].send(publish_packet("dash/retained", "kept", retain=True))
        self.browser = Chromium()
        self.addCleanup(self.browser.stop)
        self.page = self.browser.page()
        self.addCleanup(self.page.close)
        for domain in ("Runtime", "Log", "Page"):
            self.page.call(domain + ".enable")

    def text(self, element_id):
        return self.page.evaluate("document.getElementById(%s).textContent" % js(element_id))

    def column(self, table):
        return self.page.evaluate(
            "Array.from(document.querySelectorAll('#table-%s tbody td:first-child')).map(td => td.textContent)"
            % table)

    def log_in(self, user, password):
        self.page.evaluate("document.getElementById('login-user').value = %s;"
                           "document.getElementById('login-password').value = %s;"
                           "document.getElementById('login-submit').click()" % (js(user), js(password)))

    def test_shows_the_broker_and_kicks_a_client(self):
        p = self.page
        p.call("Page.navigate", url="http://127.0.0.1:%d/" % self.api.http_port)
        self.assertTrue(p.wait_for("document.readyState === 'complete' && "
                                   "!document.getElementById('login').hidden"))
        self.assertTrue(p.wait_for("document.getElementById('broker').textContent !== ''"))
        self.assertTrue(p.evaluate("document.getElementById('board').hidden"))
        self.assertEqual(p.errors(), [])

        self.log_in("ops", "wrong")
        self.assertEqual(p.wait_for("document.getElementById('login-error').textContent"),
                         "Wrong user or password.")
        self.assertTrue(p.evaluate("document.getElementById('board').hidden"))
        self.assertIsNone(p.evaluate("sessionStorage.getItem('actormq.authorization')"))
        after_refusal = len(p.events)  # the refused request's 401 is logged as a failed load

        self.log_in("ops", "secret")
        self.assertTrue(p.wait_for("document.getElementById('tile-connections').textContent === '3'"),
                        self.text("tile-connections"))
        self.assertEqual(sorted(self.column("clients")), IDS)
        self.assertEqual(self.text("who"), "ops")
        self.assertEqual(self.text("count-clients"), "(3)")
        self.assertEqual(self.column("subscriptions"), ["dash-1"])
        self.assertEqual(self.column("retained"), ["dash/retained"])
        self.assertEqual(self.column("nodes"), [self.api.get_json("/api/v1/status")["node"]])
        self.assertEqual(self.column("bridges"), ["none"])
        # The chart has a rate once two polls are in (POLL_MS apart).
        self.assertTrue(p.wait_for("document.querySelector('#chart polyline.in').getAttribute('points') !== ''",
                                   timeout=10))

        p.evaluate("document.querySelector('button.kick[data-clientid=\"dash-2\"]').click()")
        self.assertEqual(len(p.dialogs), 1)
        self.assertIn("dash-2", p.dialogs[0]["message"])
        _, closed = self.clients["dash-2"].recv_all(timeout=5)
        self.assertTrue(closed, "the kicked client's connection is still open")
        self.assertTrue(wait_for(lambda: sorted(c["clientid"] for c in self.api.get_json(
            "/api/v1/clients")["data"]) == ["dash-1", "dash-3"]))
        self.assertTrue(p.wait_for("document.getElementById('tile-connections').textContent === '2'"))
        self.assertEqual(sorted(self.column("clients")), ["dash-1", "dash-3"])
        self.assertEqual(self.text("notice"), "Kicked dash-2.")
        self.assertEqual(self.text("error"), "")
        for cid in ("dash-1", "dash-3"):
            self.assertFalse(self.clients[cid].recv_all(timeout=0.2)[1], cid + " was closed too")

        p.evaluate("1")  # reads the events sent before its answer
        self.assertEqual(p.errors(since=after_refusal), [])


if __name__ == "__main__":
    if CHROMIUM is None:
        print("SKIP: Debian's chromium is not installed (scripts/lib.sh installs it)")
        sys.exit(77)
    main()
