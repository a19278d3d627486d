#!/usr/bin/env python3
"""Benchmark anomalab's kernel SVMs and LOF against scikit-learn on NSL-KDD.

What it measures (a benchmark, not a test: it prints a table, nothing asserts a time):

* svc: SVC() (rbf, C 1, gamma "scale", tol 1e-3, cache 200 MB) against `svc`/native with
  the same defaults, trained on a 20,000-row subsample of KDDTrain+ (the peer benchmark's
  size; rows drawn without replacement by numpy default_rng(seed), sorted), evaluated on
  all of KDDTest+: fit and predict CPU seconds, support vectors, accuracy and F1 (attack
  = positive), and the share of test rows both predict alike.
* one_class_svm: OneClassSVM() (nu 0.5, rbf, gamma "scale") against `one_class_svm`,
  fitted on a 5,000-row subsample of the normal KDDTrain+ rows; ROC-AUC of the anomaly
  score (attack = positive) and F1 of scikit-learn's own boundary (decision_function < 0).
* lof: LocalOutlierFactor(novelty=True) (20 neighbours, euclidean) against `lof`, fitted
  on 20,000 normal KDDTrain+ rows; ROC-AUC of the LOF and F1 at contamination="auto"
  (LOF > 1.5).

Features as scripts/bench_classic.py (38 numeric columns, one-hot of the three symbolic
ones fitted on KDDTrain+, standard scaling fitted on KDDTrain+: 122 columns). Each seed
draws its own subsample; the two sides run one after the other on it (interleaved, so a
change in machine load hits both). Quality is reported as the mean over the seeds with a
95 % Student-t interval; times are CPU seconds (user + system; ours: the driver process
around the fit or the prediction, from /proc/self/stat; scikit-learn: getrusage around
the call), which are fairer than wall time on a shared machine. scikit-learn's
SVC/OneClassSVM are single-threaded; ours run with --threads threads (default 1, so CPU
seconds compare like with like).

Run from the repository root:

    python3 scripts/bench_svm_lof.py [--data DIR] [--seeds 5] [--threads 1] [--skip svc,ocsvm,lof]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.svm import SVC, OneClassSVM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_classic import ROOT, load, write_amx  # noqa: E402

warnings.filterwarnings("ignore", category=FutureWarning)


def exe(env):
    return os.path.join(env["CARGO_TARGET_DIR"], "release", "examples", "bench_svm")


def ours(env, args):
    out = subprocess.run([exe(env)] + args, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(f):
    c0 = cpu()
    v = f()
    return v, cpu() - c0


def ci(v):
    v = np.asarray(v, dtype=float)
    if len(v) < 2:
        return f"{v.mean():.4f}"
    h = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return f"{v.mean():.4f} ± {h:.4f}"


def run_svc(env, tmp, xtr, ytr, xte, yte, seed, n):
    idx = np.sort(np.random.default_rng(seed).choice(xtr.shape[0], size=n, replace=False))
    xs, ys = xtr[idx], ytr[idx]
    write_amx(f"{tmp}/tr.amx", xs)
    ys.astype("<i8").tofile(f"{tmp}/tr.i64")
    r = ours(env, ["svc", f"{tmp}/tr.amx", f"{tmp}/tr.i64", f"{tmp}/te.amx", f"{tmp}/pred.i64", f"seed={seed}"])
    p = np.fromfile(f"{tmp}/pred.i64", dtype="<i8")
    m = SVC()
    _, sf = timed(lambda: m.fit(xs, ys))
    sk, sp = timed(lambda: m.predict(xte))
    return {
        "ours": (r["fit_cpu_s"], r["predict_cpu_s"], r["n_support"], accuracy_score(yte, p), f1_score(yte, p)),
        "skl": (sf, sp, int(m.support_.size), accuracy_score(yte, sk), f1_score(yte, sk)),
        "agree": float((p == sk).mean()),
    }


def run_detector(env, tmp, name, xtr, ytr, xte, yte, seed, n):
    normal = np.flatnonzero(ytr == 0)
    idx = np.sort(np.random.default_rng(seed).choice(normal, size=n, replace=False))
    xs = xtr[idx]
    write_amx(f"{tmp}/tr.amx", xs)
    r = ours(env, [name, f"{tmp}/tr.amx", f"{tmp}/te.amx", f"{tmp}/s.f64"])
    s = np.fromfile(f"{tmp}/s.f64", dtype="<f8")
    if name == "lof":
        m = LocalOutlierFactor(novelty=True)
        thr_ours = 1.5
    else:
        m = OneClassSVM()
        thr_ours = 0.0
    _, sf = timed(lambda: m.fit(xs))
    ss, sp = timed(lambda: -m.score_samples(xte) if name == "lof" else -m.decision_function(xte))
    thr_skl = 1.5 if name == "lof" else 0.0
    n_sv = int(m.support_.size) if name != "lof" else 0
    return {
        "ours": (r["fit_cpu_s"], r["predict_cpu_s"], r["n_support"], roc_auc_score(yte, s),
                 f1_score(yte, (s > thr_ours).astype(int))),
        "skl": (sf, sp, n_sv, roc_auc_score(yte, ss), f1_score(yte, (ss > thr_skl).astype(int))),
        "agree": float(((s > thr_ours) == (ss > thr_skl)).mean()),
        "max_abs_score_diff": float(np.max(np.abs(s - ss))),
        "rows_differing": int(np.sum(np.abs(s - ss) > 1e-6 * np.maximum(1.0, np.abs(ss)))),
    }


def report(name, rows, quality):
    print(f"\n{name}: {len(rows)} seeds; CPU seconds per seed (ours / scikit-learn)")
    print(f"{'seed':>4} {'fit ours':>9} {'fit skl':>9} {'ratio':>6} {'pred ours':>9} {'pred skl':>9} "
          f"{'SV ours':>7} {'SV skl':>7} {quality + ' ours':>10} {quality + ' skl':>10} {'F1 ours':>8} {'F1 skl':>8} {'agree':>6}")
    for s, r in rows:
        o, k = r["ours"], r["skl"]
        print(f"{s:>4} {o[0]:>9.2f} {k[0]:>9.2f} {k[0] / max(o[0], 1e-9):>6.2f} {o[1]:>9.2f} {k[1]:>9.2f} "
              f"{o[2]:>7} {k[2]:>7} {o[3]:>10.4f} {k[3]:>10.4f} {o[4]:>8.4f} {k[4]:>8.4f} {r['agree']:>6.4f}")
    fo = sum(r["ours"][0] for _, r in rows)
    fk = sum(r["skl"][0] for _, r in rows)
    print(f"total fit CPU: ours {fo:.2f} s, scikit-learn {fk:.2f} s, ratio {fk / max(fo, 1e-9):.2f}x")
    for i, q in ((3, quality), (4, "F1")):
        print(f"{q}: ours {ci([r['ours'][i] for _, r in rows])}, scikit-learn {ci([r['skl'][i] for _, r in rows])}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("ANOMALAB_DATA_DIR", os.path.join(ROOT, "..", "shared", "datasets")))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--svc-train", type=int, default=20000)
    ap.add_argument("--ocsvm-train", type=int, default=5000)
    ap.add_argument("--lof-train", type=int, default=20000)
    ap.add_argument("--skip", default="")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    env["RAYON_NUM_THREADS"] = str(a.threads)
    subprocess.run(["cargo", "build", "--release", "-p", "anomalab-learn", "--example", "bench_svm"],
                   check=True, cwd=ROOT, env=env)
    xtr, ytr, xte, yte = load(a.data)
    print(f"NSL-KDD: train {xtr.shape}, test {xte.shape}; ours with {a.threads} thread(s); load average "
          f"{os.getloadavg()[0]:.2f} at start")
    tmp = tempfile.mkdtemp(prefix="anomalab-bench-svm-")
    write_amx(f"{tmp}/te.amx", xte)
    plan = [("svc", lambda s: run_svc(env, tmp, xtr, ytr, xte, yte, s, a.svc_train), "acc"),
            ("ocsvm", lambda s: run_detector(env, tmp, "one_class_svm", xtr, ytr, xte, yte, s, a.ocsvm_train), "AUC"),
            ("lof", lambda s: run_detector(env, tmp, "lof", xtr, ytr, xte, yte, s, a.lof_train), "AUC")]
    for name, run, quality in plan:
        if name in skip:
            continue
        rows = []
        for s in range(a.seeds):
            rows.append((s, run(s)))
            print(f"  done {name} seed {s}", file=sys.stderr, flush=True)
        report(name, rows, quality)
        if "max_abs_score_diff" in rows[0][1]:
            print("largest |score ours - score scikit-learn| over test rows and seeds: "
                  f"{max(r['max_abs_score_diff'] for _, r in rows):.3g}; test rows differing by more than "
                  f"1e-6 (relative) per seed: {[r['rows_differing'] for _, r in rows]} of {len(yte)}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
