#!/usr/bin/env python3
"""Open a report.html in headless Chromium and check it works offline.

Drives Chromium through the DevTools protocol (tests/devtools.py, shared with the
dashboard check) over --remote-debugging-pipe (file
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
import pathlib
import sys
import tempfile
import time

TIMEOUT = 90.0

# The shared DevTools driver lives in the repository's tests/ folder.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "tests"))
from devtools import Browser  # noqa: E402


def check(chromium, html, prefix):
    url = pathlib.Path(html).resolve().as_uri()
    summary = {"url": url, "requests": [], "failed_requests": [], "console_errors": [],
               "exceptions": [], "log_errors": [], "schemes": {}}
    with tempfile.TemporaryDirectory() as profile:
        b = Browser(chromium, profile, timeout=TIMEOUT)
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
