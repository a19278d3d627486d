#!/usr/bin/env python3
"""Benchmark anomalab's native unsupervised learners against scikit-learn on NSL-KDD.

What it measures (a benchmark, not a test: it prints tables, nothing asserts a time):

1. Isolation forest trained on the *normal* rows of KDDTrain+ and scored on KDDTest+
   (label: normal = 0, any attack = 1). Features: the 38 numeric columns plus one-hot of
   protocol_type / service / flag fitted on KDDTrain+ (unknown test categories -> all
   zeros), standard scaling fitted on KDDTrain+. 100 trees, max_samples 256, seeds 0..4.
   ROC-AUC of ours vs scikit-learn's IsolationForest (score = -score_samples) and
   fit + score wall time, side by side.
2. k-means elbow sweep k = 2..12 on the whole scaled KDDTrain+ matrix (125,973 x 122),
   n_init = 1, for seeds s = 0..S-1 (--kmeans-seeds, default 20): ours (`fit_k(x, k, s)`,
   greedy k-means++ then Elkan, or --kmeans-algorithm lloyd) vs scikit-learn
   KMeans(n_clusters=k, n_init=1, random_state=s) (its default algorithm="lloyd"). The
   two sides are timed back to back for each seed (scikit-learn's sweep, then ours in a
   fresh process; the matrix load is not timed), wall time and process CPU time (all
   threads), and the load average is printed before and after.
   A single k-means++ run depends on its seed and the two sides draw different random
   numbers, so the inertia of one seed is not comparable; the table compares the mean
   (+- standard error, and z = difference / its standard error) and the minimum over the
   S seeds of each side. Note that for one seed the fits for different k share their
   first random draws (both libraries), so the rows of one table are not independent.
   Two like-with-like checks for the first --same-init-seeds seeds (default 3):
   * same start: both from scikit-learn's kmeans_plusplus(X, k, random_state=s) centres,
     scikit-learn KMeans(init=centres, n_init=1) vs ours `fit_from(x, centres)`;
   * same random numbers: scikit-learn's own k-means++ (sklearn.cluster._kmeans.
     _kmeans_plusplus on the centred X, as KMeans.fit calls it) fed with the numbers our
     seeded RNG draws in `fit_k(x, k, s)` (a Python port of crates/anomalab-learn/src/
     rng.rs: the first centre from `below(n)`, then `next_f64()` per local trial), then
     KMeans(init=those centres, n_init=1), vs our own `fit_k(x, k, s)`.
   For each the table gives the largest |relative inertia difference| and how many runs
   have identical labels / identical iteration counts.
3. DBSCAN on a 20,000-row seeded sample of the scaled KDDTrain+ matrix (eps 0.5,
   min_samples 5 unless given): time, ours vs scikit-learn DBSCAN, and label agreement.

The Rust side is the example binary `bench_unsup` of crates/anomalab-learn, built here in
release mode; the matrices are handed over as `.amx` files (b"AMX1", u64 rows, u64 cols,
row-major little-endian f64; see the example's header).

Run from the repository root:

    python3 scripts/bench_unsupervised.py [--data DIR] [--seeds 5] [--threads N]
        [--kmeans-seeds 10] [--same-init-seeds 3] [--kmeans-algorithm elkan|lloyd]
        [--skip iforest,kmeans,dbscan]

DIR defaults to $ANOMALAB_DATA_DIR, else ../shared/datasets relative to the repository
root. --threads sets RAYON_NUM_THREADS for ours (default: all cores); scikit-learn runs with
its defaults (IsolationForest n_jobs=None = 1 worker; KMeans uses OpenMP threads = cores;
DBSCAN n_jobs=None). Versions of numpy and scikit-learn and the thread counts are printed.
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
import sklearn
from sklearn.cluster import DBSCAN, KMeans, kmeans_plusplus
from sklearn.cluster._kmeans import _kmeans_plusplus
from sklearn.ensemble import IsolationForest
from sklearn.metrics import adjusted_rand_score, roc_auc_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.extmath import row_norms

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

class AnomalabRng:
    """Python port of anomalab's Rng (crates/anomalab-learn/src/rng.rs): xoshiro256**
    seeded through SplitMix64; `derive_seed`, `below` and `next_f64` as there."""

    M = (1 << 64) - 1

    @staticmethod
    def _splitmix(state):
        state = (state + 0x9E3779B97F4A7C15) & AnomalabRng.M
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & AnomalabRng.M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & AnomalabRng.M
        return state, z ^ (z >> 31)

    @staticmethod
    def derive_seed(seed, index):
        s = seed ^ ((index * 0xD1B54A32D192ED03) & AnomalabRng.M)
        s, _ = AnomalabRng._splitmix(s)
        return AnomalabRng._splitmix(s)[1]

    def __init__(self, seed):
        self.s = []
        for _ in range(4):
            seed, z = self._splitmix(seed)
            self.s.append(z)

    def next_u64(self):
        m, s = self.M, self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & m
        out = (rotl((s[1] * 5) & m, 7) * 9) & m
        t = (s[1] << 17) & m
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def below(self, n):
        return (self.next_u64() * n) >> 64

    def next_f64(self):
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))


class OurNumbers:
    """The two RandomState methods _kmeans_plusplus calls, answered with the numbers
    anomalab's fit_k(x, k, seed) draws (n_init = 1: run 0, seed derive_seed(seed, 0))."""

    def __init__(self, seed):
        self.rng = AnomalabRng(AnomalabRng.derive_seed(seed, 0))

    def choice(self, n, p=None):  # uniform weights in KMeans.fit without sample_weight
        return self.rng.below(n)

    def uniform(self, size):
        return np.array([self.rng.next_f64() for _ in range(size)])


def load_avg():
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def kmeans_bench(a, xtr, tmp, env):
    ks = list(range(2, 13))
    seeds = list(range(a.kmeans_seeds))
    path = os.path.join(tmp, "train.amx")
    write_amx(path, xtr)
    load_before = load_avg()
    sk_time, sk_cpu, sk_inert, ours_time, ours_cpu, ours_inert = [], [], [], [], [], []
    sk_total, sk_total_cpu, ours_total, ours_total_cpu, ours_iter = [], [], [], [], []
    threads = None
    for s in seeds:
        # scikit-learn's sweep for this seed, then ours, back to back.
        t0, c0 = time.perf_counter(), time.process_time()
        tk, ck, ik = [], [], []
        for k in ks:
            t1, c1 = time.perf_counter(), time.process_time()
            m = KMeans(n_clusters=k, n_init=1, random_state=s).fit(xtr)
            tk.append(time.perf_counter() - t1)
            ck.append(time.process_time() - c1)
            ik.append(m.inertia_)
        sk_total.append(time.perf_counter() - t0)
        sk_total_cpu.append(time.process_time() - c0)
        sk_time.append(tk), sk_cpu.append(ck), sk_inert.append(ik)
        ours = run_rust(["kmeans", path, ks[0], ks[-1], a.kmeans_algorithm, s], env)
        threads = ours["threads"]
        sw = ours["sweeps"][0]
        ours_total.append(sw["total_s"])
        ours_total_cpu.append(sw["cpu_s"])
        ours_time.append([r["time_s"] for r in sw["per_k"]])
        ours_cpu.append([r["cpu_s"] for r in sw["per_k"]])
        ours_inert.append([r["inertia"] for r in sw["per_k"]])
        ours_iter.append([r["n_iter"] for r in sw["per_k"]])
    load_after = load_avg()

    # Same start on both sides: scikit-learn's k-means++ centres.
    same = {k: [] for k in ks}
    for s in seeds[: a.same_init_seeds]:
        prefix = os.path.join(tmp, "init")
        sk_same = {}
        for k in ks:
            c, _ = kmeans_plusplus(xtr, k, random_state=s)
            write_amx(f"{prefix}_{s}_{k}.amx", c)
            m = KMeans(n_clusters=k, init=c, n_init=1).fit(xtr)
            sk_same[k] = m
        ours = run_rust(["kmeans-from", path, ks[0], ks[-1], a.kmeans_algorithm, prefix, s], env)
        for r in ours["sweeps"][0]["per_k"]:
            k, m = r["k"], sk_same[r["k"]]
            lab = np.fromfile(f"{prefix}_{s}_{k}.labels.i64", dtype="<i8")
            same[k].append(((r["inertia"] - m.inertia_) / m.inertia_,
                            bool((lab == m.labels_).all()), r["n_iter"] == m.n_iter_))

    # Same random numbers: scikit-learn's k-means++ and iterations with our draws.
    same_rng = {k: [] for k in ks}
    xm = xtr.mean(axis=0)
    xc = xtr - xm
    norms = row_norms(xc, squared=True)
    weights = np.ones(xtr.shape[0])
    for s in seeds[: a.same_init_seeds]:
        for i, k in enumerate(ks):
            c, _ = _kmeans_plusplus(xc, k, norms, weights, OurNumbers(s))
            m = KMeans(n_clusters=k, init=c + xm, n_init=1).fit(xtr)
            same_rng[k].append(((ours_inert[s][i] - m.inertia_) / m.inertia_, ours_iter[s][i] == m.n_iter_))

    mean = lambda v: np.mean(np.array(v), axis=0)
    t_o, t_s = mean(ours_time), mean(sk_time)
    i_o, i_s = mean(ours_inert), mean(sk_inert)
    se_o = np.std(ours_inert, axis=0, ddof=1) / np.sqrt(len(seeds)) if len(seeds) > 1 else 0 * i_o
    se_s = np.std(sk_inert, axis=0, ddof=1) / np.sqrt(len(seeds)) if len(seeds) > 1 else 0 * i_s
    m_o, m_s = np.min(ours_inert, axis=0), np.min(sk_inert, axis=0)
    n_same = min(a.same_init_seeds, len(seeds))
    print(f"\n(2) k-means elbow k=2..12 on {xtr.shape[0]} x {xtr.shape[1]}, n_init=1, seeds 0..{len(seeds) - 1}; "
          f"ours: {a.kmeans_algorithm}, {threads} threads; scikit-learn KMeans(algorithm='lloyd')")
    print("time = mean wall seconds per fit over the seeds; inertia = mean over the seeds (+- standard error), "
          "rel = (ours - sklearn) / sklearn;")
    print(f"same start / same random numbers: seeds 0..{n_same - 1} (see the script header): "
          "max |rel| of inertia, runs with identical labels, identical n_iter")
    print(f"{'k':>3} {'t ours':>6} {'t sk':>6} {'sk/ours':>7} | {'inertia ours':>19} {'inertia sklearn':>19} "
          f"{'rel':>7} {'z':>5} | {'min ours':>9} {'min sk':>9} {'rel':>7} | "
          f"{'same start':>10} {'lab':>5} {'iter':>5} | {'same RNG':>8} {'iter':>5}")
    for i, k in enumerate(ks):
        sr = [v[0] for v in same[k]]
        same_txt = (f"{max(abs(v) for v in sr):>10.0e} {sum(v[1] for v in same[k]):>3}/{len(sr)} "
                    f"{sum(v[2] for v in same[k]):>3}/{len(sr)}") if sr else f"{'-':>10} {'-':>5} {'-':>5}"
        rr = [v[0] for v in same_rng[k]]
        rng_txt = (f"{max(abs(v) for v in rr):>8.0e} {sum(v[1] for v in same_rng[k]):>3}/{len(rr)}"
                   if rr else f"{'-':>8} {'-':>5}")
        diff = i_o[i] - i_s[i]
        se = np.hypot(se_o[i], se_s[i])
        z = diff / se if se > 0 else float("nan")
        print(f"{k:>3} {t_o[i]:>6.3f} {t_s[i]:>6.3f} {t_s[i] / t_o[i]:>6.1f}x | "
              f"{i_o[i]:>10.0f} +-{se_o[i]:>6.0f} {i_s[i]:>10.0f} +-{se_s[i]:>6.0f} {diff / i_s[i]:>+7.4f} {z:>+5.1f} | "
              f"{m_o[i]:>9.0f} {m_s[i]:>9.0f} {(m_o[i] - m_s[i]) / m_s[i]:>+7.4f} | {same_txt} | {rng_txt}")
    wo, ws = np.mean(ours_total), np.mean(sk_total)
    co, cs = np.mean(ours_total_cpu), np.mean(sk_total_cpu)
    print(f"sweep (11 fits), mean over {len(seeds)} seeds: wall ours {wo:.2f} s, scikit-learn {ws:.2f} s "
          f"({ws / wo:.1f}x); CPU ours {co:.2f} s, scikit-learn {cs:.2f} s ({cs / co:.1f}x)")
    print(f"per-seed wall: ours {', '.join(f'{t:.2f}' for t in ours_total)}; "
          f"scikit-learn {', '.join(f'{t:.2f}' for t in sk_total)}")
    print(f"load average (1/5/15 min) before {load_before}, after {load_after}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("ANOMALAB_DATA_DIR", os.path.join(ROOT, "..", "shared", "datasets")))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--kmeans-seeds", type=int, default=20)
    ap.add_argument("--same-init-seeds", type=int, default=3)
    ap.add_argument("--kmeans-algorithm", default="elkan", choices=["elkan", "lloyd"])
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
    print(f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, {os.cpu_count()} CPUs")
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
        kmeans_bench(a, xtr, tmp, env)

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
