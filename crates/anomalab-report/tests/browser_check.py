#!/usr/bin/env python3
"""Open a report.html in headless Chromium and check it works offline.

Drives Chromium through the DevTools protocol over --remote-debugging-pipe (file
descriptors 3 and 4, NUL-separated JSON; no websocket library needed), loads the page
once with prefers-color-scheme light and once dark, and reports:
  - every request the page made (only the file itself is allowed: no network, no CDN),
  - failed requests (Network.loadingFailed),
  - console errors/warnings (Runtime.consoleAPICalled), uncaught exceptions
    (Runtime.exceptionThrown) and browser log errors (Log.entryAdded),
  - the body background colour in each scheme, the number of inline SVG plots, and
    table-of-contents links without a target,
and writes a 1400x3000 screenshot per scheme.

Usage: browser_check.py <chromium> <report.html> <out-prefix>
Writes <out-prefix>-light.png and <out-prefix>-dark.png, prints a JSON summary on
stdout, exits 1 when a check fails. Called by tests/browser.rs.
"""
import base64
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

TIMEOUT = 90.0


class Browser:
    def __init__(self, chromium, user_data_dir):
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        # The child must see our pipe ends as fds 3 (its input) and 4 (its output).
        os.set_inheritable(to_child_r, True)
        os.set_inheritable(from_child_w, True)

        def remap():
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        args = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--remote-debugging-pipe", f"--user-data-dir={user_data_dir}",
            "--window-size=1400,3000", "about:blank",
        ]
        self.proc = subprocess.Popen(args, preexec_fn=remap, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + TIMEOUT

    def _read_message(self):
        while b"\0" not in self.buf:
            if time.monotonic() > self.deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self.from_child, 1 << 16)
            if not chunk:
                err = self.proc.stderr.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"chromium closed the pipe; stderr tail:\n{err}")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method):
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            m = self._read_message()
            if m.get("method") == method:
                return m
            self.events.append(m)

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def check(chromium, html, prefix):
    url = pathlib.Path(html).resolve().as_uri()
    summary = {"url": url, "requests": [], "failed_requests": [], "console_errors": [],
               "exceptions": [], "log_errors": [], "schemes": {}}
    with tempfile.TemporaryDirectory() as profile:
        b = Browser(chromium, profile)
        try:
            target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ["Page", "Network", "Runtime", "Log"]:
                b.send(f"{domain}.enable", session=s)
            b.send("Emulation.setDeviceMetricsOverride",
                   {"width": 1400, "height": 3000, "deviceScaleFactor": 1, "mobile": False}, session=s)
            for scheme in ["light", "dark"]:
                b.send("Emulation.setEmulatedMedia",
                       {"features": [{"name": "prefers-color-scheme", "value": scheme}]}, session=s)
                b.send("Page.navigate", {"url": url}, session=s)
                b.wait_event("Page.loadEventFired")
                probe = b.send("Runtime.evaluate", {"returnByValue": True, "expression": """({
                    background: getComputedStyle(document.body).backgroundColor,
                    color: getComputedStyle(document.body).color,
                    svgs: document.querySelectorAll('.plot svg').length,
                    tocLinks: document.querySelectorAll('nav.toc a').length,
                    brokenToc: [...document.querySelectorAll('nav.toc a')]
                        .map(a => a.getAttribute('href').slice(1))
                        .filter(id => !document.getElementById(id)),
                    height: document.documentElement.scrollHeight,
                    resources: performance.getEntriesByType('resource').map(r => r.name),
                })"""}, session=s)["result"]["value"]
                shot = b.send("Page.captureScreenshot", {"format": "png"}, session=s)
                path = f"{prefix}-{scheme}.png"
                with open(path, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
                probe["screenshot"] = path
                summary["schemes"][scheme] = probe
            # Drain what is already queued, then classify every event seen.
            b.send("Runtime.evaluate", {"expression": "1"}, session=s)
            for e in b.events:
                m, p = e.get("method"), e.get("params", {})
                if m == "Network.requestWillBeSent":
                    summary["requests"].append(p["request"]["url"])
                elif m == "Network.loadingFailed":
                    summary["failed_requests"].append(p.get("errorText", "?"))
                elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                    summary["console_errors"].append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
                elif m == "Runtime.exceptionThrown":
                    summary["exceptions"].append(p["exceptionDetails"].get("text", "?"))
                elif m == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
                    summary["log_errors"].append(p["entry"].get("text", "?"))
        finally:
            b.close()
    problems = []
    other = [r for r in summary["requests"] if r != url]
    if other:
        problems.append(f"requests other than the page itself: {other}")
    for key in ["failed_requests", "console_errors", "exceptions", "log_errors"]:
        if summary[key]:
            problems.append(f"{key}: {summary[key]}")
    for scheme, probe in summary["schemes"].items():
        if probe["resources"]:
            problems.append(f"{scheme}: resources loaded: {probe['resources']}")
        if probe["brokenToc"]:
            problems.append(f"{scheme}: contents links without target: {probe['brokenToc']}")
    light, dark = summary["schemes"].get("light"), summary["schemes"].get("dark")
    if light and dark and light["background"] == dark["background"]:
        problems.append("the dark colour scheme does not change the background")
    summary["problems"] = problems
    print(json.dumps(summary, indent=1))
    return 0 if not problems else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(check(*sys.argv[1:]))
