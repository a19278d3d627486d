#!/usr/bin/env python3
"""Benchmark anomalab's native unsupervised learners against scikit-learn on NSL-KDD.

What it measures (a benchmark, not a test: it prints tables, nothing asserts a time):

1. Isolation forest trained on the *normal* rows of KDDTrain+ and scored on KDDTest+
   (label: normal = 0, any attack = 1). Features: the 38 numeric columns plus one-hot of
   protocol_type / service / flag fitted on KDDTrain+ (unknown test categories -> all
   zeros), standard scaling fitted on KDDTrain+. 100 trees, max_samples 256, seeds 0..4.
   ROC-AUC of ours vs scikit-learn's IsolationForest (score = -score_samples) and
   fit + score wall time, side by side.
2. k-means elbow sweep k = 2..12 on the whole scaled KDDTrain+ matrix: ours vs
   scikit-learn KMeans(n_clusters=k, n_init=1, random_state=s) for --kmeans-seeds seeds:
   time of each sweep, inertia per k for seed 0 and the best over the seeds (with
   n_init=1 both sides land in different local minima, so the best-of-seeds column is
   the fairer inertia comparison).
3. DBSCAN on a 20,000-row seeded sample of the scaled KDDTrain+ matrix (eps 0.5,
   min_samples 5 unless given): time, ours vs scikit-learn DBSCAN, and label agreement.

The Rust side is the example binary `bench_unsup` of crates/anomalab-learn, built here in
release mode; the matrices are handed over as `.amx` files (b"AMX1", u64 rows, u64 cols,
row-major little-endian f64; see the example's header).

Run from the repository root:

    python3 scripts/bench_unsupervised.py [--data DIR] [--seeds 5] [--threads N]

DIR defaults to $ANOMALAB_DATA_DIR, else ../shared/datasets relative to the repository
root. --threads sets RAYON_NUM_THREADS for ours (default: all cores); scikit-learn runs with
its defaults (IsolationForest n_jobs=None = 1 worker; KMeans uses OpenMP threads = cores;
DBSCAN n_jobs=None).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN, KMeans
from sklearn.ensemble import IsolationForest
from sklearn.metrics import adjusted_rand_score, roc_auc_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYMBOLIC = ["protocol_type", "service", "flag"]


def nsl_columns(data_dir):
    names = []
    with open(os.path.join(data_dir, "nsl-kdd", "field_names.csv")) as f:
        for line in f:
            line = line.strip()
            if line:
                names.append(line.split(",")[0])
    return names + ["label", "difficulty"]


def load(data_dir):
    cols = nsl_columns(data_dir)
    tr = pd.read_csv(os.path.join(data_dir, "nsl-kdd", "KDDTrain+.txt.gz"), header=None, names=cols)
    te = pd.read_csv(os.path.join(data_dir, "nsl-kdd", "KDDTest+.txt"), header=None, names=cols)
    numeric = [c for c in cols[:-2] if c not in SYMBOLIC]
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(tr[SYMBOLIC])
    def mat(df):
        return np.hstack([df[numeric].to_numpy(dtype=np.float64), enc.transform(df[SYMBOLIC])])
    xtr, xte = mat(tr), mat(te)
    sc = StandardScaler().fit(xtr)
    xtr, xte = sc.transform(xtr), sc.transform(xte)
    ytr = (tr["label"] != "normal").to_numpy().astype(int)
    yte = (te["label"] != "normal").to_numpy().astype(int)
    return xtr, ytr, xte, yte


def write_amx(path, x):
    x = np.ascontiguousarray(x, dtype="<f8")
    with open(path, "wb") as f:
        f.write(b"AMX1")
        f.write(np.array([x.shape[0], x.shape[1]], dtype="<u8").tobytes())
        f.write(x.tobytes())


def run_rust(args, env):
    exe = os.path.join(env["CARGO_TARGET_DIR"], "release", "examples", "bench_unsup")
    out = subprocess.run([exe] + [str(a) for a in args], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("ANOMALAB_DATA_DIR", os.path.join(ROOT, "..", "shared", "datasets")))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--kmeans-seeds", type=int, default=3)
    ap.add_argument("--dbscan-eps", type=float, default=0.5)
    ap.add_argument("--dbscan-min-samples", type=int, default=5)
    ap.add_argument("--skip", default="", help="comma list of iforest,kmeans,dbscan to skip")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    if a.threads:
        env["RAYON_NUM_THREADS"] = str(a.threads)
    subprocess.run(["cargo", "build", "--release", "-p", "anomalab-learn", "--example", "bench_unsup"],
                   check=True, cwd=ROOT, env=env)
    xtr, ytr, xte, yte = load(a.data)
    print(f"NSL-KDD: train {xtr.shape}, test {xte.shape}; normal train rows {int((ytr == 0).sum())}")
    tmp = tempfile.mkdtemp(prefix="anomalab-bench-")
    seeds = list(range(a.seeds))

    if "iforest" not in skip:
        normal = xtr[ytr == 0]
        write_amx(os.path.join(tmp, "normal.amx"), normal)
        write_amx(os.path.join(tmp, "test.amx"), xte)
        ours = run_rust(["iforest", os.path.join(tmp, "normal.amx"), os.path.join(tmp, "test.amx"),
                         os.path.join(tmp, "if"), 100, 256] + seeds, env)
        rows = []
        for r in ours["runs"]:
            s = np.fromfile(os.path.join(tmp, f"if_{r['seed']}.f64"), dtype="<f8")
            t0 = time.perf_counter()
            sk = IsolationForest(n_estimators=100, max_samples=256, random_state=r["seed"]).fit(normal)
            t1 = time.perf_counter()
            sks = -sk.score_samples(xte)
            t2 = time.perf_counter()
            rows.append((r["seed"], roc_auc_score(yte, s), roc_auc_score(yte, sks),
                         r["fit_s"] + r["score_s"], t2 - t0))
        print(f"\n(1) isolation forest, 100 trees, max_samples 256 (ours: {ours['threads']} threads)")
        print(f"{'seed':>4} {'AUC ours':>9} {'AUC sklearn':>11} {'time ours s':>11} {'time sklearn s':>14}")
        for r in rows:
            print(f"{r[0]:>4} {r[1]:>9.4f} {r[2]:>11.4f} {r[3]:>11.3f} {r[4]:>14.3f}")
        m = np.array([r[1:] for r in rows]).mean(axis=0)
        print(f"{'mean':>4} {m[0]:>9.4f} {m[1]:>11.4f} {m[2]:>11.3f} {m[3]:>14.3f}")
        print(f"AUC difference {m[0] - m[1]:+.4f}; speed-up {m[3] / m[2]:.1f}x")

    if "kmeans" not in skip:
        write_amx(os.path.join(tmp, "train.amx"), xtr)
        kseeds = list(range(a.kmeans_seeds))
        ours = run_rust(["kmeans", os.path.join(tmp, "train.amx"), 2, 12] + kseeds, env)
        sk = []
        for s in kseeds:
            t0, inert = time.perf_counter(), []
            for k in range(2, 13):
                inert.append(KMeans(n_clusters=k, n_init=1, random_state=s).fit(xtr).inertia_)
            sk.append((time.perf_counter() - t0, inert))
        ks = list(range(2, 13))
        o0 = [r["inertia"] for r in ours["sweeps"][0]["per_k"]]
        obest = np.min([[r["inertia"] for r in sw["per_k"]] for sw in ours["sweeps"]], axis=0)
        sbest = np.min([s[1] for s in sk], axis=0)
        print(f"\n(2) k-means elbow k=2..12 on {xtr.shape[0]} rows, n_init=1 (ours: {ours['threads']} threads)")
        print(f"{'k':>3} {'ours seed0':>12} {'sklearn rs0':>12} {'rel':>8} | {'ours best':>12} {'sklearn best':>12} {'rel':>8}  (best of {len(kseeds)} seeds)")
        for i, k in enumerate(ks):
            print(f"{k:>3} {o0[i]:>12.0f} {sk[0][1][i]:>12.0f} {(o0[i] - sk[0][1][i]) / sk[0][1][i]:>+8.4f} | "
                  f"{obest[i]:>12.0f} {sbest[i]:>12.0f} {(obest[i] - sbest[i]) / sbest[i]:>+8.4f}")
        ot = [sw["total_s"] for sw in ours["sweeps"]]
        st = [s[0] for s in sk]
        print(f"sweep time per seed: ours {', '.join(f'{t:.1f}' for t in ot)} s (mean {np.mean(ot):.1f}); "
              f"sklearn {', '.join(f'{t:.1f}' for t in st)} s (mean {np.mean(st):.1f})")

    if "dbscan" not in skip:
        rng = np.random.default_rng(0)
        idx = np.sort(rng.choice(xtr.shape[0], size=20000, replace=False))
        xs = xtr[idx]
        write_amx(os.path.join(tmp, "db.amx"), xs)
        ours = run_rust(["dbscan", os.path.join(tmp, "db.amx"), a.dbscan_eps, a.dbscan_min_samples,
                         os.path.join(tmp, "db_labels.i64")], env)
        lab = np.fromfile(os.path.join(tmp, "db_labels.i64"), dtype="<i8")
        t0 = time.perf_counter()
        sk = DBSCAN(eps=a.dbscan_eps, min_samples=a.dbscan_min_samples).fit(xs)
        sk_t = time.perf_counter() - t0
        same = int((lab == sk.labels_).sum())
        print(f"\n(3) DBSCAN on 20,000 rows, eps {a.dbscan_eps}, min_samples {a.dbscan_min_samples}")
        print(f"ours {ours['time_s']:.2f} s ({ours['n_clusters']} clusters, {ours['n_noise']} noise); "
              f"sklearn {sk_t:.2f} s ({sk.labels_.max() + 1} clusters, {(sk.labels_ < 0).sum()} noise)")
        print(f"identical labels: {same} / {len(lab)}; ARI {adjusted_rand_score(sk.labels_, lab):.6f}")


if __name__ == "__main__":
    sys.exit(main())
