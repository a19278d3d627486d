"""Headless Chromium over the DevTools protocol, shared by the browser tests
(crates/anomalab-report/tests/browser_check.py, tests/dashboard_check.py)."""
import json
import os
import subprocess
import time


class Browser:
    """Headless Chromium driven over --remote-debugging-pipe (fds 3 and 4, NUL-separated
    JSON; no websocket library). `window` is "WIDTHxHEIGHT" as Chromium's flag takes it
    (with a comma); every call must finish within `timeout` seconds of the start."""

    def __init__(self, chromium, user_data_dir, window="1400,3000", timeout=90.0):
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
            f"--window-size={window}", "about:blank",
        ]
        self.proc = subprocess.Popen(args, preexec_fn=remap, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + timeout

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
