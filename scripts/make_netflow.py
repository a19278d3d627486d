#!/usr/bin/env python3
"""Make NetFlow/IPFIX exports of the shared captures, for `experiments/netflow.yaml`.

usage: make_netflow.py OUT [DATA_DIR]

DATA_DIR defaults to $ANOMALAB_DATA_DIR, else ../shared/datasets. For each IPv4 capture of
DATA_DIR/pcap, writes into OUT/netflow/:
  <capture>.v5.pcap, <capture>.v9.pcap, <capture>.ipfix.pcap
      what a collector would capture: the export datagrams of Debian's `softflowd -r
      <capture> -v 5|9|10` (its flow meter; `-c none` so that it exits at the end of the
      capture), received on a UDP socket of this script and written as Ethernet/IPv4/UDP
      frames (classic pcap, microsecond timestamps of their arrival);
  <capture>.nfdump.csv
      `nfpcapd -r <capture>` (nfdump's own flow meter) then `TZ=UTC nfdump -r ... -o csv`.
Then run: ANOMALAB_DATA_DIR=OUT anomalab run experiments/netflow.yaml

Needs softflowd and nfdump (Debian packages `softflowd`, `nfdump`). The exports are not
byte-identical between runs (softflowd stamps the export time), the flow records are. Stops
with an error when softflowd reports more export packets than the socket received.
"""
import glob
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

CAPTURES = [
    "chrissanders-synscan.pcapng",
    "stopddos-pkt.TCP.synflood.spoofed.pcap",
    "evilfingers-nmap-UDP_SCAN.pcap",
    "ppa-ftp-crack.pcap",
    "honeynet-fc4-voip.pcap",
]
VERSIONS = {"v5": "5", "v9": "9", "ipfix": "10"}


def tool(name):
    """The path of a tool: on PATH, else in /usr/sbin or /sbin (Debian's softflowd, nfcapd)."""
    for path in [shutil.which(name), f"/usr/sbin/{name}", f"/sbin/{name}"]:
        if path and os.access(path, os.X_OK):
            return path
    sys.exit(f"{name} not found: install Debian's softflowd and nfdump packages")


def frame(src_port, dst_port, payload):
    """An Ethernet/IPv4/UDP frame 127.0.0.1 -> 127.0.0.1 (checksums left 0)."""
    eth = b"\x00" * 12 + b"\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 0, 0, 64, 17, 0,
                     socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
    return eth + ip + struct.pack("!HHHH", src_port, dst_port, 8 + len(payload), 0) + payload


def softflowd_export(capture, version, out_path):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [tool("softflowd"), "-d", "-r", capture, "-n", f"127.0.0.1:{port}", "-v", version,
             "-c", "none", "-p", os.path.join(tmp, "pid")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        frames = []
        quiet_since = None
        while True:
            ready, _, _ = select.select([sock], [], [], 0.2)
            if ready:
                data, (_, sport) = sock.recvfrom(65535)
                frames.append((time.time(), frame(sport, port, data)))
                quiet_since = None
            elif proc.poll() is not None:
                quiet_since = quiet_since or time.time()
                if time.time() - quiet_since > 1.0:
                    break
        log = proc.stdout.read()
    m = re.search(r"Flows exported: \d+ \((\d+) records\) in (\d+) packets", log)
    if proc.returncode != 0 or not m:
        sys.exit(f"softflowd failed on {capture}:\n{log}")
    if int(m.group(2)) != len(frames):
        sys.exit(f"{capture} v{version}: softflowd sent {m.group(2)} packets, "
                 f"{len(frames)} received")
    with open(out_path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in frames:
            f.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6), len(fr), len(fr)) + fr)
    return int(m.group(1))


def nfdump_csv(capture, out_path):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([tool("nfpcapd"), "-r", capture, "-w", tmp], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        files = sorted(glob.glob(os.path.join(tmp, "**", "nfcapd.*"), recursive=True))
        if not files:
            sys.exit(f"nfpcapd wrote no file for {capture}")
        env = dict(os.environ, TZ="UTC")
        with open(out_path, "w") as out:
            # nfdump reads several files with -R first:last; one file is the usual case.
            args = ["-r", files[0]] if len(files) == 1 else ["-R", f"{files[0]}:{os.path.basename(files[-1])}"]
            subprocess.run([tool("nfdump"), *args, "-o", "csv"], check=True, stdout=out, env=env)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = os.path.join(sys.argv[1], "netflow")
    data = sys.argv[2] if len(sys.argv) > 2 else os.environ.get(
        "ANOMALAB_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets"))
    os.makedirs(out, exist_ok=True)
    for name in CAPTURES:
        capture = os.path.join(data, "pcap", name)
        stem = name.rsplit(".", 1)[0]
        for tag, version in VERSIONS.items():
            n = softflowd_export(capture, version, os.path.join(out, f"{stem}.{tag}.pcap"))
            print(f"{stem}.{tag}.pcap: {n} records")
        nfdump_csv(capture, os.path.join(out, f"{stem}.nfdump.csv"))
        print(f"{stem}.nfdump.csv")


if __name__ == "__main__":
    main()
