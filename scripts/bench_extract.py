#!/usr/bin/env python3
"""Throughput and peak-memory benchmark of the flow extractor next to nfstream.

What it computes: on the 607,108-packet synthetic capture of
`flows-reference/gen_big.py big.pcap 20000 1` (generated into a cache directory and checked
against the README's sha256), it runs

  * anomalab-flow's `extract_bench` example, the library path of `anomalab extract` (capture
    through a 1 MiB BufReader, cic2017 with padding off, 85-column CSV through a 1 MiB
    BufWriter to a file in the cache directory; `--no-csv` variant too), or any command
    given with `--ours-cmd` (e.g. `anomalab extract --count-l2-padding off -o {out} {pcap}`), and
  * nfstream with the spec's settings (cic2017-flow-features.md §9: accounting_mode=3,
    idle_timeout=120, active_timeout=120, statistical_analysis=True, n_dissections=0),

each in its own child process, and prints wall time, CPU time (user+sys of the child),
packets/s on both clocks, peak RSS, and the ratio ours/nfstream. The best of `--repeat`
runs is kept (the machine is shared, so wall time is noisy; CPU time is the steadier
figure). This is a benchmark, not a test: nothing is asserted.

How to run (from the repository root):

    python3 scripts/bench_extract.py [--repeat 3] [--skip-nfstream] [--ours-cmd "CMD {pcap} {out}"]

`{pcap}` is the capture and `{out}` a CSV path in the cache directory (removed afterwards).

Data: env ANOMALAB_DATA_DIR, else <repo>/../shared/datasets. Cache: env
ANOMALAB_CACHE_DIR, else the system temp dir / anomalab-flow-cache. Needs python3 and
cargo; nfstream via `pip install nfstream`.
"""
import argparse
import hashlib
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time

BIG_SHA256 = "cb167df842996a97b6f4ba36358348d9b49501a6d0f19cd8e4e3edf68f792af0"
BIG_PACKETS = 607_108
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NFSTREAM_CHILD = r"""
import sys, time
from nfstream import NFStreamer
t = time.perf_counter()
s = NFStreamer(source=sys.argv[1], accounting_mode=3, idle_timeout=120, active_timeout=120,
               statistical_analysis=True, n_dissections=0)
n = 0
for _ in s:
    n += 1
print(n, time.perf_counter() - t)
"""


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def big_pcap(data_dir):
    cache = os.environ.get("ANOMALAB_CACHE_DIR") or os.path.join(tempfile.gettempdir(), "anomalab-flow-cache")
    os.makedirs(cache, exist_ok=True)
    out = os.path.join(cache, "big.pcap")
    if not (os.path.exists(out) and sha256(out) == BIG_SHA256):
        gen = os.path.join(data_dir, "flows-reference", "gen_big.py")
        subprocess.run([sys.executable, gen, out, "20000", "1"], check=True, stdout=subprocess.DEVNULL)
        got = sha256(out)
        if got != BIG_SHA256:
            sys.exit(f"generated {out} has sha256 {got}, expected {BIG_SHA256}")
    return out


def run_child(argv):
    """Runs argv, returns (wall s, cpu s, peak RSS MiB, stdout)."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        sys.exit(f"{argv[0]} failed with status {status}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, out.decode()


def best_of(n, argv):
    runs = [run_child(argv) for _ in range(n)]
    return min(runs, key=lambda r: r[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-nfstream", action="store_true")
    ap.add_argument("--ours-cmd", help="command template for our extractor; {pcap} and {out} are replaced")
    args = ap.parse_args()
    data_dir = os.environ.get("ANOMALAB_DATA_DIR") or os.path.join(REPO, "..", "shared", "datasets")
    if not os.path.isdir(os.path.join(data_dir, "flows-reference")):
        sys.exit(f"dataset directory {data_dir} not found (set ANOMALAB_DATA_DIR)")
    pcap = big_pcap(data_dir)
    out_csv = os.path.join(os.path.dirname(pcap), "bench_flows.csv")
    rows = []
    if args.ours_cmd:
        cmds = [("ours", shlex.split(args.ours_cmd.replace("{pcap}", pcap).replace("{out}", out_csv)))]
    else:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "anomalab-flow", "--example", "extract_bench"],
                       check=True, cwd=REPO)
        target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
        exe = os.path.join(target, "release", "examples", "extract_bench")
        cmds = [("anomalab-flow cic2017 + CSV file", [exe, pcap, "--out", out_csv]),
                ("anomalab-flow cic2017, no CSV", [exe, pcap, "--no-csv"])]
    for name, argv in cmds:
        wall, cpu, rss, out = best_of(args.repeat, argv)
        flows = None
        for line in out.splitlines():
            if line.startswith("{"):
                flows = json.loads(line).get("flows")
        rows.append((name, flows, wall, cpu, rss))
    if os.path.exists(out_csv):
        os.remove(out_csv)
    if not args.skip_nfstream:
        wall, cpu, rss, out = best_of(args.repeat, [sys.executable, "-c", NFSTREAM_CHILD, pcap])
        rows.append(("nfstream 6.6 (no nDPI, statistics on)", int(out.split()[0]), wall, cpu, rss))
    load = os.getloadavg()
    print(f"capture: {pcap} ({BIG_PACKETS} packets, sha256 ok); best of {args.repeat} runs by CPU time")
    print(f"{'tool':40} {'flows':>7} {'wall s':>7} {'CPU s':>7} {'pkt/s wall':>11} {'pkt/s CPU':>11} {'peak RSS MiB':>12}")
    for name, flows, wall, cpu, rss in rows:
        print(f"{name:40} {flows if flows is not None else '-':>7} {wall:7.2f} {cpu:7.2f} "
              f"{BIG_PACKETS / wall:11,.0f} {BIG_PACKETS / cpu:11,.0f} {rss:12.1f}")
    if not args.skip_nfstream:
        nf = rows[-1]
        for name, _, wall, cpu, _ in rows[:-1]:
            print(f"ratio {name} / nfstream: {nf[2] / wall:.1f}x (wall), {nf[3] / cpu:.1f}x (CPU)")
    print(f"load average (1 min) at the end of the run: {load[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
