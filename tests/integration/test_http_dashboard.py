"""The dashboard on the real binary at the HTTP level: `/` and
`/index.html` are the page (no user needed), `/dashboard.js` and
`/dashboard.css` its script and style with their types (and its icon), all behind a
Content-Security-Policy of the page's own origin; other methods get 405;
the API the script calls still needs a user. The browser side is
test_http_dashboard_browser.py."""

import re
import unittest

from harness import main
from http_util import OPS, ApiBroker


class HttpDashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.api = ApiBroker()

    @classmethod
    def tearDownClass(cls):
        assert cls.api.stop() == 0

    def assert_own_origin_only(self, headers):
        csp = headers["content-security-policy"]
        directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
        self.assertEqual(directives["default-src"], ["'none'"])
        for name in ("script-src", "style-src", "connect-src"):
            self.assertEqual(directives[name], ["'self'"], name)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(headers["x-content-type-options"], "nosniff")

    def test_page_needs_no_user(self):
        for path in ("/", "/index.html"):
            status, headers, body = self.api.request("GET", path)
            self.assertEqual(status, 200, path)
            self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
            self.assert_own_origin_only(headers)
            page = body.decode()
            self.assertTrue(page.startswith("<!DOCTYPE html>"), page[:40])
            self.assertIn('<script src="/dashboard.js" defer></script>', page)
            self.assertIn('<link rel="stylesheet" href="/dashboard.css">', page)
            for marker in ('id="login"', 'id="tile-connections"', 'id="chart"', 'id="table-clients"',
                           'id="table-subscriptions"', 'id="table-retained"', 'id="table-bridges"',
                           'id="table-nodes"'):
                self.assertIn(marker, page)
            # No inline code for the policy to allow, nothing from elsewhere.
            self.assertIsNone(re.search(r"<script(?![^>]*\ssrc=)", page))
            self.assertNotIn("<style", page)
            self.assertNotIn(" style=", page)
            self.assertIsNone(re.search(r"(src|href)=\"(https?:)?//", page))

    def test_script_and_style(self):
        status, headers, body = self.api.request("GET", "/dashboard.js")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/javascript; charset=utf-8")
        self.assert_own_origin_only(headers)
        script = body.decode()
        self.assertTrue(script.startswith("// The actormq dashboard."), script[:40])
        for call in ('"clients?limit=100"', '"stats"', '"bridges"', '"DELETE", "clients/"'):
            self.assertIn(call, script)
        self.assertNotIn("innerHTML", script)
        status, headers, body = self.api.request("GET", "/dashboard.css")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/css; charset=utf-8")
        self.assertIn(b"#chart", body)
        status, headers, body = self.api.request("GET", "/favicon.svg")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "image/svg+xml")
        self.assertTrue(body.startswith(b"<svg "))

    def test_other_methods_not_allowed(self):
        for method in ("HEAD", "POST", "PUT", "DELETE"):
            for path in ("/", "/index.html", "/dashboard.js"):
                status, headers, _ = self.api.request(method, path, OPS)
                self.assertEqual(status, 405, (method, path))
                self.assertEqual(headers["allow"], "GET")

    def test_near_paths_are_not_the_page(self):
        for path in ("/index.htm", "/dashboard.js/", "/dashboard", "//"):
            self.assertEqual(self.api.request("GET", path)[0], 404, path)

    def test_the_api_it_calls_still_needs_a_user(self):
        for method, path in (("GET", "/api/v1/nodes"), ("GET", "/api/v1/stats"), ("GET", "/api/v1/clients?limit=100"),
                             ("GET", "/api/v1/subscriptions?limit=100"), ("GET", "/api/v1/retained?limit=100"),
                             ("GET", "/api/v1/bridges"), ("DELETE", "/api/v1/clients/x")):
            status, headers, _ = self.api.request(method, path)
            self.assertEqual(status, 401, (method, path))
            self.assertIn("Basic", headers["www-authenticate"])
            self.assertEqual(self.api.request(method, path, OPS)[0], 404 if method == "DELETE" else 200)

    def test_keep_alive_across_page_and_api(self):
        c = self.api.conn()
        try:
            for path in ("/", "/dashboard.js", "/dashboard.css", "/api/v1/status"):
                self.assertEqual(self.api.request("GET", path, conn=c)[0], 200, path)
        finally:
            c.close()


if __name__ == "__main__":
    main()
