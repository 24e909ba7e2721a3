"""Headless Chromium driven over the Chrome DevTools Protocol, for the
dashboard's browser test: the browser in a process group of its own (its
zygote and renderers die with it) with a throw-away profile, and a CDP
client over ws_util's WebSocket frames (no third-party module)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

from ws_util import RawWs, frame, upgrade_request

CHROMIUM = shutil.which("chromium")


class Chromium:
    """`chromium --headless=new` on a free DevTools port, blank page open."""

    def __init__(self, timeout=30):
        self.profile = tempfile.mkdtemp(prefix="actormq-chromium-")
        self.log = open(os.path.join(self.profile, "chromium.log"), "w")
        # --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             "--user-data-dir=" + self.profile, "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--password-store=basic", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.port = self._devtools_port(timeout)

    def _devtools_port(self, timeout):
        path = os.path.join(self.profile, "DevToolsActivePort")
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                break
            try:
                with open(path) as f:
                    first = f.readline().strip()
                if first:
                    return int(first)
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        output = self.output()
        self.stop()
        raise RuntimeError("chromium did not open its DevTools port:\n" + output)

    def output(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def page(self):
        """A CDP session on the open page."""
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % self.port, timeout=10) as r:
            targets = json.load(r)
        url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        return Cdp(self.port, url.split(str(self.port), 1)[1])

    def stop(self):
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # what the browser left of its group
        except ProcessLookupError:
            pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class Cdp:
    """Commands and events of one target. Events are kept in self.events;
    a JavaScript dialog (confirm) is accepted as it opens and kept in
    self.dialogs, since the page waits for it."""

    def __init__(self, port, path, timeout=10):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.ws = RawWs(port, sock=sock, timeout=timeout)
        # Chromium serves DevTools to a client that sends no Origin.
        self.ws.upgrade(path=path, protocol=None)
        self.next_id = 0
        self.events = []
        self.dialogs = []

    def _send(self, method, params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        self.ws.send(frame(json.dumps(message).encode(), opcode=1))
        return self.next_id

    def call(self, method, timeout=10, **params):
        wanted = self._send(method, params)
        end = time.time() + timeout
        while True:
            f = self.ws.recv_frame(max(0.01, end - time.time()))
            if f is None:
                raise TimeoutError("no answer to %s within %s s" % (method, timeout))
            opcode, payload = f
            if opcode == 8:
                raise ConnectionError("DevTools closed the connection")
            if opcode != 1:
                continue
            message = json.loads(payload)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message["result"]
            if "method" in message:
                self._event(message)

    def _event(self, message):
        self.events.append(message)
        if message["method"] == "Page.javascriptDialogOpening":
            self.dialogs.append(message["params"])
            self._send("Page.handleJavaScriptDialog", {"accept": True})

    def evaluate(self, expression, timeout=10):
        """The value of `expression` (awaited when a promise)."""
        r = self.call("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expression, timeout=10):
        """Polls `expression` until it is truthy; its last value."""
        end = time.time() + timeout
        while True:
            value = self.evaluate(expression)
            if value or time.time() > end:
                return value
            time.sleep(0.1)

    def errors(self, since=0):
        """Console errors, uncaught exceptions and browser log errors (CSP
        violations, failed loads) among the events from index `since` on."""
        found = []
        for e in self.events[since:]:
            p = e["params"]
            if e["method"] == "Runtime.exceptionThrown":
                found.append(p["exceptionDetails"])
            elif e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                found.append(p["args"])
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                found.append(p["entry"])
        return found

    def close(self):
        self.ws.close()
