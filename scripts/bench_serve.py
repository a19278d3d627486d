#!/usr/bin/env python3
"""End-to-end benchmark of `anomalab serve`: capture -> flows -> model -> EVE alerts.

What it measures, each in its own child process, repeats interleaved (the machine is
shared: CPU time is the steadier clock, wall time is shown too):

  * throughput on ONE core (`taskset -c 0`): packets/s from the capture to the alerts file
    with a 100-tree random forest and with 100-round gradient boosting, trained on the six
    shared captures (experiments/pcap_flows.yaml's data), on the 607,108-packet capture of
    `flows-reference/gen_big.py big.pcap 20000 1` and on the shared real captures; next to
    `anomalab extract` on the same capture (extraction and CSV writing alone: the ceiling);
  * peak RSS of each run, and on the big capture with `--max-active-flows` 1,000 / 10,000 /
    100,000 (memory follows the active flows);
  * alert latency (flow end to verdict written, p50/p99, as serve's summary reports it)
    while the big capture is replayed at 100,000 packets/s (`--replay-speed`);
  * the peer: the Python detector such tools replace, nfstream (flow statistics, no nDPI)
    feeding a 100-tree scikit-learn random forest (trained on the same six captures, labels
    by file as in pcap_flows.yaml), batches of 1,024 flows, alerts written as JSON lines,
    on the same core (`--skip-peer` without nfstream/scikit-learn: `pip install nfstream
    scikit-learn`);
  * dashboard load: packets/s of serve reading big.pcap four times over (one stream, each
    copy's times shifted past the last: 2.4 M packets, about 2 s a run) from standard input
    with the HTTP API on, with 0 and with 20 dashboard clients (each following
    `/events?view=brief` and fetching `/api/overview` every second, as the page does),
    interleaved; serve's CPU seconds and the clients' are shown next to the wall time;
  * HTTP: MLflow `/invocations` with 1-row and 1,000-row `dataframe_split` bodies under
    wrk (Debian package `wrk`; installed by apt when missing and allowed), requests/s and
    p99 latency, loopback only, bounded in time.

Nothing is asserted: this prints a table. Run from the repository root:

    python3 scripts/bench_serve.py [--repeat 3] [--skip-http] [--seconds 10]

Data: env ANOMALAB_DATA_DIR, else <repo>/../shared/datasets. Cache: env ANOMALAB_CACHE_DIR,
else the system temp dir / anomalab-flow-cache.
"""
import argparse
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_extract import BIG_PACKETS, REPO, big_pcap  # noqa: E402

REAL = [
    "pcap/chrissanders-synscan.pcapng",
    "pcap/stopddos-pkt.TCP.synflood.spoofed.pcap",
    "pcap/evilfingers-nmap-UDP_SCAN.pcap",
    "pcap/ppa-ftp-crack.pcap",
    "pcap/honeynet-fc4-voip.pcap",
    "pcap/hackeire2010-ipv6-loopback-http.pcap",
]

MODELS = {
    "forest": "  - algorithm: random_forest\n    params: {n_estimators: 100}\n",
    "gboost": "  - algorithm: gradient_boosting\n    params: {n_estimators: 100, learning_rate: 0.1, max_depth: 4}\n",
}


PEER_CHILD = r"""
import json, sys, time
from nfstream import NFStreamer
from sklearn.ensemble import RandomForestClassifier

ATTACK_FILES = ("synscan", "synflood", "UDP_SCAN", "ftp-crack")
SKIP = {"id", "expiration_id", "src_ip", "src_mac", "src_oui", "src_port", "dst_ip", "dst_mac",
        "dst_oui", "dst_port", "protocol", "ip_version", "vlan_id", "tunnel_id",
        "bidirectional_first_seen_ms", "bidirectional_last_seen_ms", "src2dst_first_seen_ms",
        "src2dst_last_seen_ms", "dst2src_first_seen_ms", "dst2src_last_seen_ms"}

def stream(path):
    return NFStreamer(source=path, statistical_analysis=True, n_dissections=0, n_meters=1,
                      idle_timeout=120, active_timeout=120, accounting_mode=3)

def row(f, names):
    return [float(getattr(f, n) or 0) for n in names]

names = None
X, y = [], []
for path in sys.argv[3:]:
    for f in stream(path):
        if names is None:
            names = [n for n in f.keys() if n not in SKIP and isinstance(getattr(f, n), (int, float))]
        attack = any(a in path for a in ATTACK_FILES) or (
            "voip" in path and "172.25.105.43" in (f.src_ip, f.dst_ip))
        X.append(row(f, names)); y.append(int(attack))
model = RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=0).fit(X, y)
t = time.perf_counter()
flows = alerts = 0
batch, meta = [], []
with open(sys.argv[2], "w") as out:
    def flush():
        global alerts
        if not batch:
            return
        for (src, dst, dport), p in zip(meta, model.predict_proba(batch)[:, 1]):
            if p > 0.5:
                alerts += 1
                out.write(json.dumps({"event_type": "alert", "src_ip": src, "dest_ip": dst,
                                      "dest_port": dport, "score": float(p)}) + "\n")
        batch.clear(); meta.clear()
    for f in stream(sys.argv[1]):
        flows += 1
        batch.append(row(f, names)); meta.append((f.src_ip, f.dst_ip, f.dst_port))
        if len(batch) == 1024:
            flush()
    flush()
print(flows, alerts, time.perf_counter() - t)
"""


def peer(pcap, real, work, repeat):
    """nfstream + scikit-learn on one core: (wall s of the detection phase, flows)."""
    alerts = os.path.join(work, "peer-alerts.json")
    best = None
    for _ in range(repeat):
        r = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", PEER_CHILD, pcap, alerts, *real],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"peer failed:\n{r.stderr}")
        flows, _, secs = r.stdout.strip().splitlines()[-1].split()
        best = min(best or float(secs), float(secs))
    return best, int(flows)


def exe():
    subprocess.run(["cargo", "build", "--release", "-q"], check=True, cwd=REPO)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    return os.path.join(target, "release", "anomalab")


def train(anomalab, data_dir, work):
    """Train one model per MODELS entry on the pcap_flows data; returns name -> path."""
    with open(os.path.join(REPO, "experiments", "pcap_flows.yaml")) as f:
        spec = f.read()
    head = spec[: spec.index("\nmodels:")]
    out = {}
    for name, block in MODELS.items():
        text = head.replace("name: pcap_flows", f"name: bench_{name}")
        text += "\nmodels:\n" + block + "metrics: [f1_macro]\nselection: {metric: f1_macro}\n"
        path = os.path.join(work, f"{name}.yaml")
        with open(path, "w") as f:
            f.write(text)
        env = dict(os.environ, ANOMALAB_DATA_DIR=data_dir)
        subprocess.run([anomalab, "run", path, "-q", "--project-dir", work], check=True, env=env)
        out[name] = os.path.join(work, "models", f"bench_{name}", "best.model")
    return out


def run_child(argv):
    """(wall s, CPU s, peak RSS MiB, stderr) of one child."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        sys.exit(f"{' '.join(argv)} failed ({status}):\n{err}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, err


def packets_in(err):
    m = re.search(r"(\d+) packet\(s\) read", err)
    return int(m.group(1)) if m else None


def throughput(anomalab, models, captures, repeat, work):
    """Interleaved repeats of serve (each model, one core) and extract, per capture."""
    rows = []
    alerts = os.path.join(work, "alerts.json")
    for label, caps in captures:
        runs = {}
        for _ in range(repeat):
            for name, model in models.items():
                argv = ["taskset", "-c", "0", anomalab, "serve", "-m", model, *caps, "--alerts", alerts]
                runs.setdefault(f"serve, {name}", []).append(run_child(argv))
                os.remove(alerts)
            csv = os.path.join(work, "flows.csv")
            argv = ["taskset", "-c", "0", anomalab, "extract", *caps, "-o", csv, "--include-ipv6"]
            runs.setdefault("extract to CSV (ceiling)", []).append(run_child(argv))
        for what, rs in runs.items():
            wall, cpu, rss, err = min(rs, key=lambda r: r[1])
            n = packets_in(err) or (BIG_PACKETS if label.startswith("big") else None)
            rows.append((label, what, n, wall, cpu, rss))
    return rows


def memory(anomalab, model, pcap, work):
    rows = []
    for cap in [1_000, 10_000, 100_000, 1_000_000]:
        argv = [anomalab, "serve", "-m", model, pcap, "--max-active-flows", str(cap)]
        _, _, rss, err = run_child(argv)
        m = re.search(r"(\d+) evicted", err)
        rows.append((cap, rss, int(m.group(1)) if m else 0))
    return rows


def latency(anomalab, model, pcap, pps):
    speed = pps / (BIG_PACKETS / 600.0)  # gen_big spreads its packets over 600 s
    argv = [anomalab, "serve", "-m", model, pcap, "--replay-speed", f"{speed:.3f}", "--alerts", os.devnull]
    wall, _, _, err = run_child(argv)
    m = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", err)
    return speed, wall, (float(m.group(1)), float(m.group(2))) if m else (None, None)


def wait_port(port):
    """Wait (up to 10 s) until something listens on the loopback port."""
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_bench(anomalab, model, flows_csv, seconds, work):
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        return None
    with open(flows_csv) as f:
        lines = f.read().splitlines()
    header = []
    for h in (h.strip() for h in lines[0].split(",")):
        # A repeated name becomes `x.1`, as pandas and anomalab's CSV reader name it.
        name, k = h, 1
        while name in header:
            name, k = f"{h}.{k}", k + 1
        header.append(name)
    rows = [line.split(",") for line in lines[1:1001]]
    keep = [i for i, h in enumerate(header) if h not in ("Flow ID", "Source IP", "Source Port",
                                                           "Destination IP", "Protocol", "Timestamp", "Label")]
    cols = [header[i] for i in keep]
    def body(n):
        data = [[float(r[i]) for i in keep] for r in rows[:n]]
        return json.dumps({"dataframe_split": {"columns": cols, "data": data}})
    port = free_port()
    server = subprocess.Popen([anomalab, "serve", "-m", model, "--http", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        out = []
        for n, conns in [(1, 32), (1000, 8)]:
            lua = os.path.join(work, f"post{n}.lua")
            payload = os.path.join(work, f"body{n}.json")
            with open(payload, "w") as f:
                f.write(body(n))
            with open(lua, "w") as f:
                f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                        f'local f = io.open("{payload}")\nwrk.body = f:read("*a")\nf:close()\n')
            r = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", lua,
                                f"http://127.0.0.1:{port}/invocations"], capture_output=True, text=True)
            rps = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
            p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", r.stdout)
            errs = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
            scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
            out.append((n, conns, float(rps.group(1)) if rps else None,
                        float(p99.group(1)) * scale[p99.group(2)] if p99 else None,
                        int(errs.group(1)) if errs else 0))
        return out
    finally:
        server.terminate()
        server.wait(timeout=30)


DASHBOARD_CLIENTS = r"""
import sys, threading, time, urllib.request
port, n = int(sys.argv[1]), int(sys.argv[2])

def follow():
    # What an open page does: follow /events (reconnecting), poll /api/overview.
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/events?view=brief", timeout=60) as r:
                # Every byte is taken, in large reads: the browser's own work is not the
                # server's and is not what this measures.
                while r.read1(1 << 16):
                    pass
        except OSError:
            time.sleep(0.5)

def poll():
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/overview", timeout=10).read()
        except OSError:
            pass
        time.sleep(1.0)

for _ in range(n):
    threading.Thread(target=follow, daemon=True).start()
    threading.Thread(target=poll, daemon=True).start()
print("ready", flush=True)
time.sleep(3600)
"""


def cpu_seconds(pid):
    """User + system CPU seconds of a running process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def repeated_capture(pcap, times, out):
    """`pcap` `times` over as one pcap file, each copy's timestamps shifted past the last
    copy's end plus 600 s, so that flows end between copies as they would in a long capture."""
    with open(pcap, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data)[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit(f"{pcap}: not a little-endian pcap file")
    records, off = [], 24
    while off < len(data):
        ts, _, incl, _ = struct.unpack_from("<IIII", data, off)
        records.append((ts, data[off + 4:off + 16 + incl]))
        off += 16 + incl
    span = records[-1][0] - records[0][0] + 600
    with open(out, "wb") as f:
        f.write(data[:24])
        for k in range(times):
            for ts, rest in records:
                f.write(struct.pack("<I", ts + k * span))
                f.write(rest)
    return len(records) * times


def with_clients(anomalab, model, pcap, clients):
    """(wall s, serve CPU s, clients' CPU s) of serve reading `pcap` from stdin with
    `clients` dashboards open."""
    port = free_port()
    p = subprocess.Popen([anomalab, "serve", "-m", model, "--http", f"127.0.0.1:{port}", "-",
                          "--alerts", os.devnull], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=False)
    wait_port(port)
    # The clients stand for browsers on other machines: their own process, lowest
    # priority, so that what is measured is the server's work for them.
    viewers = None
    if clients:
        viewers = subprocess.Popen(["nice", "-n", "19", sys.executable, "-c", DASHBOARD_CLIENTS,
                                    str(port), str(clients)], stdout=subprocess.PIPE, text=True)
        viewers.stdout.readline()
    time.sleep(1.5)
    cpu0 = cpu_seconds(p.pid)
    viewers0 = cpu_seconds(viewers.pid) if viewers else 0.0
    t0 = time.perf_counter()
    with open(pcap, "rb") as f:
        shutil.copyfileobj(f, p.stdin, 1 << 20)
    p.stdin.close()
    while True:
        line = p.stderr.readline().decode()
        if not line or "packet(s) read" in line:
            break
    secs = time.perf_counter() - t0
    cpu = cpu_seconds(p.pid) - cpu0
    viewers_cpu = cpu_seconds(viewers.pid) - viewers0 if viewers else 0.0
    if viewers:
        viewers.kill()
        viewers.wait()
    p.terminate()
    p.wait(timeout=30)
    return secs, cpu, viewers_cpu


def dashboard_load(anomalab, model, pcap, repeat, work):
    """Median (wall s, serve CPU s, clients' CPU s) with 0 and with 20 clients, and the
    number of packets read."""
    stream = os.path.join(work, "big-x4.pcap")
    packets = repeated_capture(pcap, 4, stream)
    runs = {0: [], 20: []}
    for _ in range(repeat):
        for n in runs:
            runs[n].append(with_clients(anomalab, model, stream, n))
    os.remove(stream)
    med = {n: tuple(sorted(r[i] for r in v)[len(v) // 2] for i in range(3)) for n, v in runs.items()}
    return med, packets


def others(args, anomalab, models, pcap, data_dir, work):
    """Everything but the dashboard load."""
    real = [os.path.join(data_dir, r) for r in REAL]
    rows = throughput(anomalab, models, [("big.pcap (gen_big)", [pcap]), ("six real captures", real)],
                      args.repeat, work)
    print(f"one core (taskset -c 0); best of {args.repeat} interleaved runs by CPU time")
    print(f"{'capture':20} {'run':28} {'packets':>8} {'wall s':>7} {'CPU s':>6} {'pkt/s wall':>11} "
          f"{'pkt/s CPU':>11} {'RSS MiB':>8}")
    for label, what, n, wall, cpu, rss in rows:
        print(f"{label:20} {what:28} {n or 0:8} {wall:7.2f} {cpu:6.2f} {(n or 0) / wall:11,.0f} "
              f"{(n or 0) / cpu:11,.0f} {rss:8.1f}")
    if not args.skip_peer:
        secs, flows = peer(pcap, real, work, args.repeat)
        ours = next(r for r in rows if r[0].startswith("big") and r[1] == "serve, forest")
        print(f"{'big.pcap (gen_big)':20} {'peer: nfstream + sklearn RF':28} {BIG_PACKETS:8} {secs:7.2f} "
              f"{'-':>6} {BIG_PACKETS / secs:11,.0f} {'-':>11} {'-':>8}   ({flows} flows; detection "
              f"phase only, wall on one core)")
        print(f"ratio serve (forest) / peer, packets/s on one core: {secs / ours[3]:.1f}x")
    print("\npeak RSS by --max-active-flows (big.pcap, forest)")
    for cap, rss, evicted in memory(anomalab, models["forest"], pcap, work):
        print(f"  cap {cap:>9,}: {rss:7.1f} MiB, {evicted:,} flows evicted")
    speed, wall, (p50, p99) = latency(anomalab, models["forest"], pcap, 100_000)
    print(f"\npaced replay at 100,000 packets/s (--replay-speed {speed:.1f}, {wall:.1f} s): "
          f"latency flow end -> verdict written p50 {p50} ms, p99 {p99} ms")
    if not args.skip_http:
        csv = os.path.join(work, "flows.csv")
        subprocess.run([anomalab, "extract", pcap, "-o", csv, "--layout", "mlcve79", "-q"], check=True)
        res = http_bench(anomalab, models["forest"], csv, args.seconds, work)
        if res is None:
            print("\nHTTP: wrk not available (apt-get install wrk)")
        else:
            print(f"\nHTTP /invocations (forest), wrk -t2, {args.seconds} s each, server and wrk on "
                  f"{os.cpu_count()} CPUs")
            for n, conns, rps, p99, errs in res:
                print(f"  {n:>5} row(s)/request, {conns} connections: {rps or 0:10,.0f} requests/s, "
                      f"{(rps or 0) * n:12,.0f} rows/s, p99 {p99} ms, non-2xx {errs}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    ap.add_argument("--dashboard-only", action="store_true", help="only the dashboard load")
    args = ap.parse_args()
    data_dir = os.environ.get("ANOMALAB_DATA_DIR") or os.path.join(REPO, "..", "shared", "datasets")
    pcap = big_pcap(data_dir)
    anomalab = exe()
    work = tempfile.mkdtemp(prefix="anomalab-bench-serve-")
    if args.dashboard_only:
        MODELS.pop("gbdt", None)
    models = train(anomalab, data_dir, work)
    if not args.dashboard_only:
        others(args, anomalab, models, pcap, data_dir, work)
    reps = max(args.repeat, 5)
    load, packets = dashboard_load(anomalab, models["forest"], pcap, reps, work)
    print(f"\ndashboard load, big.pcap x4 ({packets:,} packets) from standard input with --http, "
          f"median of {reps} interleaved runs:")
    for n, (secs, cpu, viewers) in load.items():
        print(f"  {n:2} dashboard clients: {secs:.2f} s, {packets / secs:,.0f} packets/s; serve "
              f"CPU {cpu:.2f} s, clients' CPU {viewers:.2f} s")
    print(f"  packets/s with 20 clients / none: {load[0][0] / load[20][0]:.3f}; serve CPU "
          f"seconds with none / with 20: {load[0][1] / load[20][1]:.3f}")
    load = os.getloadavg()
    print(f"\nload average (1 min) at the end: {load[0]:.1f} on {os.cpu_count()} CPUs")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
