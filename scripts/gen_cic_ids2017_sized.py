#!/usr/bin/env python3
"""Generate CIC-IDS2017-sized day files (MachineLearningCVE layout) for memory and speed
measurements at full scale; the data set itself is not available here.

Each of the eight day files of the catalog (`datasets/cic_ids2017.yaml`) is written under
``<out>/cic-ids2017/MachineLearningCVE/`` with its published row count and class counts
(2,830,743 rows in all), in the 79-column layout: ``Destination Port``, 77 flow features,
``Label``, with the real header (leading spaces, the duplicated ``Fwd Header Length``).

Rows are drawn from the 299 real rows of the CIC-IDS2017 head in ``--data-dir``: a
template row per output row, every numeric cell multiplied by a log-normal factor (sd 0.3;
integer columns rounded), and for attack rows a per-class factor on a fixed set of
columns so the classes are learnable. ``Infinity`` cells stay ``Infinity``. The values
are not a model of the real traffic; the shape (rows, columns, value types, label
strings, file sizes near the real 1.1-1.7 GB) is what the measurement needs.

    python3 scripts/gen_cic_ids2017_sized.py --out /tmp/cicbig [--scale 1.0] [--seed 0]

Then ``anomalab run SPEC --data-dir /tmp/cicbig`` with ``source: cic_ids2017``.
"""
import argparse
import os
import re

import numpy as np
import pandas as pd

HEAD = "cic-ids2017/GeneratedLabelledFlows_Friday-WorkingHours-Afternoon-DDos_first299rows.csv"
# The 85-column layout's identifiers that the 79-column layout does not have.
DROP = ["Flow ID", " Source IP", " Source Port", " Destination IP", " Protocol", " Timestamp"]


def day_files(catalog):
    """(file name, {label: count}) of each training day file of the catalog."""
    text = open(catalog, encoding="utf-8").read()
    days = []
    for block in text.split("  - id: ")[1:]:
        if "role: train" not in block:
            continue
        name = re.search(r"names: \[([^,\]]+)", block).group(1).strip()
        counts = re.search(r"label: \{(.*?)\}", block, re.S).group(1)
        labels = {}
        for part in re.findall(r'("[^"]*"|[^,:]+):\s*(\d+)', counts):
            label = part[0].strip().strip('"').replace("\\uFFFD", "\ufffd")
            labels[label] = int(part[1])
        days.append((name, labels))
    return days


def rows_for(template, labels, scale, rng, class_ids):
    """A frame of generated rows with the given label counts (scaled)."""
    numeric = template.drop(columns=[" Label"])
    ints = [c for c in numeric.columns if np.all(np.mod(numeric[c].replace(np.inf, 0), 1) == 0)]
    values = numeric.to_numpy(dtype=float)
    parts = []
    for label, count in labels.items():
        n = max(1, int(round(count * scale)))
        pick = values[rng.integers(0, len(values), n)]
        factor = np.exp(rng.normal(0.0, 0.3, pick.shape))
        if label != "BENIGN":
            shift = 1.0 + class_ids.setdefault(label, len(class_ids) + 1)
            factor[:, 1:20] *= shift
        out = pd.DataFrame(pick * factor, columns=numeric.columns)
        for c in ints:
            out[c] = np.round(out[c].to_numpy()).astype(np.int64)
        out[" Label"] = label
        parts.append(out)
    frame = pd.concat(parts, ignore_index=True)
    return frame.sample(frac=1.0, random_state=int(rng.integers(1 << 31))).reset_index(drop=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--data-dir", default=os.environ.get("ANOMALAB_DATA_DIR", "../shared/datasets"))
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the published row counts")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    head = pd.read_csv(os.path.join(args.data_dir, HEAD))
    raw_names = open(os.path.join(args.data_dir, HEAD), encoding="utf-8").readline().rstrip("\n").split(",")
    keep = [i for i, c in enumerate(head.columns) if c not in DROP]
    template = head.iloc[:, keep]
    header = ",".join(raw_names[i] for i in keep)
    out_dir = os.path.join(args.out, "cic-ids2017", "MachineLearningCVE")
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    class_ids = {}
    total = 0
    for name, labels in day_files(os.path.join(root, "datasets", "cic_ids2017.yaml")):
        frame = rows_for(template, labels, args.scale, rng, class_ids)
        path = os.path.join(out_dir, name)
        for c in frame.columns[:-1]:
            if frame[c].dtype == float and np.isinf(frame[c]).any():
                frame[c] = frame[c].map(lambda v: "Infinity" if v == np.inf else f"{v:.10g}")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(header + "\n")
            frame.to_csv(f, index=False, header=False, float_format="%.10g")
        os.replace(path + ".tmp", path)
        total += len(frame)
        print(f"{name}: {len(frame)} rows, {os.path.getsize(path) / 1e6:.0f} MB", flush=True)
    print(f"{total} rows in {out_dir}")


if __name__ == "__main__":
    main()
