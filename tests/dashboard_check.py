#!/usr/bin/env python3
"""Drive the `serve` dashboard in headless Chromium while `serve` replays a capture.

DevTools protocol over --remote-debugging-pipe (fds 3 and 4, NUL-separated JSON; no
websocket library), as crates/anomalab-report/tests/browser_check.py. Checks:
  - alerts arrive live: the table gets rows, then the page's count of received alerts
    grows with no reload (a marker set on `window` after load must survive);
  - once the alerts file stops growing, the chart's total, the page's received count and
    every top-list entry (sources, destinations, destination ports) equal what the
    alerts file gives, and each list holds the most frequent keys;
  - a click on a row opens the detail with the flow's features; Enter on a focused row
    opens it too; "True positive" adds a line with that alert's seq to the feedback file;
  - the score form, given a CSV of that alert's features, shows the predictions that
    `POST /invocations` gives for the same CSV (asked from here with urllib), and a bad
    CSV shows the API's own error message;
  - no console error or warning, no exception, no failed request, no request to another
    origin; the dark scheme changes the background; nothing overflows at 390 px wide.
Screenshots: <out_prefix>-light.png, -dark.png (1280x800), -phone.png (390x844).

Usage: dashboard_check.py <chromium> <base_url> <alerts_file> <feedback_file> <out_prefix>
Prints a JSON summary on stdout; exits 1 when a check fails.
"""
import base64
import collections
import csv
import io
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 180.0

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devtools import Browser  # noqa: E402


class Page:
    def __init__(self, browser, session):
        self.b, self.s = browser, session

    def send(self, method, params=None):
        return self.b.send(method, params, session=self.s)

    def js(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                            "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluating {expr[:80]!r}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait(self, expr, what, secs=30.0, step=0.25):
        """Poll `expr` until it is truthy; returns its value."""
        end = time.monotonic() + secs
        while True:
            v = self.js(expr)
            if v:
                return v
            if time.monotonic() > end:
                raise AssertionError(f"timed out ({secs:.0f} s) waiting for {what}")
            time.sleep(step)

    def click(self, selector):
        """A real mouse click at the element's centre (as an analyst's would be)."""
        box = self.js(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            if (!e) return null; e.scrollIntoView({{block: 'center'}});
            const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")
        if not box:
            raise AssertionError(f"nothing to click at {selector}")
        for t in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": t, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def key(self, key, code, keycode):
        for t in ("keyDown", "keyUp"):
            p = {"type": t, "key": key, "code": code, "windowsVirtualKeyCode": keycode}
            if t == "keyDown" and key == "Enter":
                p["text"] = "\r"
            self.send("Input.dispatchKeyEvent", p)

    def screenshot(self, path):
        shot = self.send("Page.captureScreenshot", {"format": "png"})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return path


def file_alerts(path):
    """The alert events of the EVE file (a last line still being written is skipped)."""
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    break
                e = json.loads(line)
                if e.get("event_type") == "alert":
                    out.append(e)
    except FileNotFoundError:
        pass
    return out


def http(base, path, body=None, ctype=None):
    req = urllib.request.Request(urllib.parse.urljoin(base, path), data=body,
                                 headers={"Content-Type": ctype} if ctype else {})
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def compare_top(name, shown, counts, problems):
    """Each entry shown has the file's count; no key left out is more frequent."""
    if not counts:
        if shown:
            problems.append(f"{name}: the page lists {shown} but the file has no alert")
        return
    if not shown:
        problems.append(f"{name}: empty, the file has {len(counts)} keys")
        return
    for key, n in shown:
        if counts.get(key) != n:
            problems.append(f"{name}: {key} shows {n}, the file has {counts.get(key)}")
    listed = {k for k, _ in shown}
    left_out = [n for k, n in counts.items() if k not in listed]
    if len(shown) < min(10, len(counts)):
        problems.append(f"{name}: {len(shown)} entries, expected {min(10, len(counts))}")
    if left_out and max(left_out) > min(n for _, n in shown):
        problems.append(f"{name}: a key with {max(left_out)} alerts is not listed")


PROBE = """(() => {
  const rows = document.querySelectorAll('#alerts-body tr[data-seq]').length;
  const shown = document.getElementById('alerts-shown');
  const top = (id) => [...document.querySelectorAll('#' + id + ' li[data-key]')]
      .map(li => [li.dataset.key, Number(li.dataset.count)]);
  return {rows, received: Number(shown.dataset.received || 0),
          chartTotal: document.getElementById('chart').dataset.total,
          bars: document.querySelectorAll('#chart svg rect.bar').length,
          top_sources: top('top-src'), top_destinations: top('top-dst'), top_ports: top('top-port'),
          banner: document.getElementById('banner').hidden ? null : document.getElementById('banner').innerText,
          status: document.getElementById('status').textContent,
          marker: window.__dashboardCheck === 1};
})()"""


def check(chromium, base, alerts_path, feedback_path, prefix):
    base = base.rstrip("/") + "/"
    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(base))
    summary = {"url": base, "requests": [], "foreign_requests": [], "failed_requests": [],
               "console_errors": [], "exceptions": [], "log_errors": [], "screenshots": {}}
    problems = []
    with tempfile.TemporaryDirectory() as profile:
        b = Browser(chromium, profile, window="1280,800", timeout=TIMEOUT)
        try:
            target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            p = Page(b, s)
            for domain in ["Page", "Network", "Runtime", "Log"]:
                p.send(f"{domain}.enable")
            p.send("Emulation.setDeviceMetricsOverride",
                   {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
            p.send("Emulation.setEmulatedMedia",
                   {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
            p.send("Page.navigate", {"url": base})
            b.wait_event("Page.loadEventFired")
            # Survives only if the page is never reloaded.
            p.js("window.__dashboardCheck = 1")

            # 1. Live: rows appear, then more arrive without a reload.
            first = p.wait("(() => { const n = Number(document.getElementById('alerts-shown').dataset.received || 0);"
                           " return document.querySelectorAll('#alerts-body tr[data-seq]').length > 0 && n; })()",
                           "the first alert rows", secs=60)
            grown = p.wait(f"(() => {{ const n = Number(document.getElementById('alerts-shown').dataset.received || 0);"
                           f" return window.__dashboardCheck === 1 && n > {first} && n; }})()",
                           "the alert table to grow without a reload", secs=60)
            status = p.js("document.getElementById('status').textContent")
            summary["live"] = {"first_received": first, "later_received": grown, "status": status}
            # Alerts are arriving, so the header must say so (words, not colour alone).
            if not status.startswith("▲") or "last minute" not in status:
                problems.append(f"while alerts arrive the status reads {status!r}")
            p.screenshot(f"{prefix}-live.png")

            # 2. Counts: wait until the file has stopped growing (same count for 3 s) and
            # the page has caught up with it (the overview refreshes every 5 s), then compare.
            stable_since, last_n, probe = time.monotonic(), -1, None
            end = time.monotonic() + 120
            while True:
                alerts = file_alerts(alerts_path)
                if len(alerts) != last_n:
                    last_n, stable_since = len(alerts), time.monotonic()
                probe = p.js(PROBE)
                settled = time.monotonic() - stable_since >= 3
                if settled and probe["received"] == last_n and probe["chartTotal"] == str(last_n) \
                        and sum(n for _, n in probe["top_sources"]) > 0:
                    break
                if time.monotonic() > end:
                    problems.append(f"the page never matched the alerts file: file {last_n}, page {probe}")
                    break
                time.sleep(0.5)
            summary["file_alerts"] = last_n
            summary["page"] = probe
            if probe["bars"] != 60:
                problems.append(f"the chart has {probe['bars']} bars, not 60")
            if not probe["marker"]:
                problems.append("the page was reloaded")
            if probe["banner"]:
                problems.append(f"error banner shown: {probe['banner']}")
            count = lambda f: dict(collections.Counter(str(f(e)) for e in alerts))
            compare_top("top sources", probe["top_sources"], count(lambda e: e["src_ip"]), problems)
            compare_top("top destinations", probe["top_destinations"], count(lambda e: e["dest_ip"]), problems)
            compare_top("top ports", probe["top_ports"], count(lambda e: e["dest_port"]), problems)

            # 3. Screenshots: light, dark (media queries apply without a reload), phone.
            summary["screenshots"]["light"] = p.screenshot(f"{prefix}-light.png")
            bg_light = p.js("getComputedStyle(document.body).backgroundColor")
            p.send("Emulation.setEmulatedMedia",
                   {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            time.sleep(0.3)
            summary["screenshots"]["dark"] = p.screenshot(f"{prefix}-dark.png")
            bg_dark = p.js("getComputedStyle(document.body).backgroundColor")
            summary["backgrounds"] = {"light": bg_light, "dark": bg_dark}
            if bg_light == bg_dark:
                problems.append("the dark colour scheme does not change the background")
            p.send("Emulation.setDeviceMetricsOverride",
                   {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
            p.send("Emulation.setEmulatedMedia",
                   {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
            time.sleep(0.3)
            overflow = p.js("document.documentElement.scrollWidth")
            summary["phone_scroll_width"] = overflow
            if overflow > 390:
                problems.append(f"at 390 px wide the page is {overflow} px wide (horizontal scrolling)")
            summary["screenshots"]["phone"] = p.screenshot(f"{prefix}-phone.png")
            p.send("Emulation.setDeviceMetricsOverride",
                   {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})

            # 4. Detail and feedback: click a row, check its features, mark it a true positive.
            p.js("window.scrollTo(0, 0)")
            seq = int(p.js("document.querySelector('#alerts-body tr[data-seq]').dataset.seq"))
            p.click(f'#alerts-body tr[data-seq="{seq}"]')
            p.wait("document.getElementById('detail').open", "the detail panel to open")
            nfeat = p.wait("(() => { const h = [...document.querySelectorAll('#detail-body h3')]"
                           ".find(h => h.textContent.startsWith('Features')); return h &&"
                           " document.querySelectorAll('#detail-body .features tbody tr').length; })()",
                           "the flow's features in the detail panel")
            summary["detail"] = {"seq": seq, "features": nfeat}
            p.screenshot(f"{prefix}-detail.png")
            before = sum(1 for _ in open(feedback_path)) if os.path.exists(feedback_path) else 0
            p.click("#fb-tp")
            p.wait("document.getElementById('fb-result').dataset.stored === '1'",
                   "the feedback to be stored")
            end = time.monotonic() + 10
            while True:
                lines = open(feedback_path).read().splitlines() if os.path.exists(feedback_path) else []
                new = [json.loads(line) for line in lines[before:]]
                if new or time.monotonic() > end:
                    break
                time.sleep(0.2)
            summary["feedback_lines"] = new
            if not any(r.get("seq") == seq and r.get("verdict") == "true_positive" for r in new):
                problems.append(f"no true_positive line for seq {seq} in {feedback_path}: {new}")
            p.wait("Number(document.getElementById('feedback-body').dataset.count || 0) > 0",
                   "the stored feedback on the page")
            # Keyboard: Escape closes, Enter on the focused row opens it again.
            p.key("Escape", "Escape", 27)
            p.wait("!document.getElementById('detail').open", "Escape to close the detail")
            p.js(f"document.querySelector('#alerts-body tr[data-seq]').focus()")
            p.key("Enter", "Enter", 13)
            p.wait("document.getElementById('detail').open", "Enter on a row to open the detail")
            p.key("Escape", "Escape", 27)

            # 5. Score form: that alert's features as a CSV, against the API's answer.
            _, detail = http(base, f"api/alerts/{seq}")
            feats = detail["features"]
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(list(feats))
            w.writerow(["" if v is None else v for v in feats.values()])
            w.writerow(["" if v is None else v for v in feats.values()])
            text = buf.getvalue()
            status, api = http(base, "invocations", text.encode(), "text/csv")
            if status != 200:
                problems.append(f"POST /invocations with the alert's features: {status} {api}")
            p.js(f"document.getElementById('score-input').value = {json.dumps(text)}")
            p.click("#score-submit")
            got = p.wait("(() => { const t = document.querySelectorAll('#score-table tbody tr');"
                         " const e = document.querySelector('#score-result .error');"
                         " return e ? {error: e.textContent} : (t.length ? [...t].map(r => r.dataset.prediction) : null); })()",
                         "the score form's result")
            want = [str(r["prediction"]) for r in (api or {}).get("predictions", [])]
            summary["score"] = {"page": got, "api": want}
            if got != want:
                problems.append(f"score form shows {got}, POST /invocations gives {want}")
            # A CSV the model cannot take: the page shows the API's message.
            bad = "no_such_column\n1\n"
            status, err = http(base, "invocations", bad.encode(), "text/csv")
            p.js(f"document.getElementById('score-input').value = {json.dumps(bad)}")
            p.click("#score-submit")
            shown = p.wait("(() => { const e = document.querySelector('#score-result .error');"
                           " return e && e.textContent; })()", "the score form's error")
            summary["score_error"] = {"page": shown, "api": [status, err]}
            if not (400 <= status < 500 and err and err.get("message", "\0") in shown):
                problems.append(f"score form error {shown!r} is not the API's {status} {err}")

            # Drain what is queued, then classify every event seen.
            p.js("1")
            expected_4xx = 1
            for e in b.events:
                m, prm = e.get("method"), e.get("params", {})
                if m == "Network.requestWillBeSent":
                    url = prm["request"]["url"]
                    summary["requests"].append(url)
                    if not url.startswith(origin + "/"):
                        summary["foreign_requests"].append(url)
                elif m == "Network.loadingFailed":
                    summary["failed_requests"].append(f"{prm.get('errorText', '?')} ({prm.get('type')})")
                elif m == "Runtime.consoleAPICalled" and prm.get("type") in ("error", "warning", "assert"):
                    summary["console_errors"].append(" ".join(
                        str(a.get("value", a.get("description", ""))) for a in prm.get("args", [])))
                elif m == "Runtime.exceptionThrown":
                    summary["exceptions"].append(prm["exceptionDetails"].get("text", "?"))
                elif m == "Log.entryAdded" and prm["entry"].get("level") in ("error", "warning"):
                    entry = prm["entry"]
                    # Chromium logs every 4xx answer; the one bad CSV sent on purpose is expected.
                    if entry.get("source") == "network" and entry.get("url", "").endswith("/invocations") \
                            and expected_4xx > 0:
                        expected_4xx -= 1
                        continue
                    summary["log_errors"].append(f"{entry.get('text', '?')} {entry.get('url', '')}")
        except (AssertionError, TimeoutError, RuntimeError) as e:
            problems.append(f"{type(e).__name__}: {e}")
        finally:
            b.close()
    # Keep the summary readable: distinct request URLs only.
    summary["requests"] = sorted(set(summary["requests"]))
    for key in ["foreign_requests", "failed_requests", "console_errors", "exceptions", "log_errors"]:
        if summary[key]:
            problems.append(f"{key}: {summary[key][:10]}")
    summary["problems"] = problems
    print(json.dumps(summary, indent=1))
    return 0 if not problems else 1


if __name__ == "__main__":
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(check(*sys.argv[1:]))
