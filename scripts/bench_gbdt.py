#!/usr/bin/env python3
"""Benchmark: anomalab's native gradient boosting vs XGBoost `hist` vs scikit-learn
HistGradientBoostingClassifier, side by side, on the matrices of scripts/bench_prepare.py.

Each (dataset, implementation) pair runs in its own process, one after the other, with the
same settings: 200 rounds, max depth 6, learning rate 0.1, L2 lambda 1, no early stopping,
255 bins, 2 threads:

* ``xgboost``: ``xgb.XGBClassifier(n_estimators=200, max_depth=6, learning_rate=0.1,
  reg_lambda=1.0, tree_method="hist", max_bin=256, n_jobs=2)``
* ``sklearn``: ``HistGradientBoostingClassifier(max_iter=200, max_depth=6,
  learning_rate=0.1, l2_regularization=1.0, max_leaf_nodes=None, max_bins=255,
  early_stopping=False)`` with ``OMP_NUM_THREADS=2`` (min_samples_leaf left at 20)
* ``anomalab``: ``crates/anomalab-learn/examples/bench_gbdt.rs`` (built here with
  ``cargo build --release -p anomalab-learn --example bench_gbdt``), params
  n_estimators=200, max_depth=6, learning_rate=0.1, lambda=1, ``RAYON_NUM_THREADS=2``.

Fit time includes each library's own binning; predict time is ``predict_proba`` /
``scores`` on the test part. Accuracy, F1 macro and ROC-AUC (binary: AUC of the positive
class; multiclass: one-vs-rest macro) are computed here, by scikit-learn, from each
implementation's test probabilities. Peak RSS is the worker process's ``ru_maxrss`` (it
includes loading the matrices and, for the Python workers, the interpreter). Model size:
XGBoost ``save_raw("ubj")``, scikit-learn ``pickle``, anomalab ``save()`` (postcard).
"x xgb fit" is XGBoost's fit time divided by this implementation's (above 1 = faster).
CPU s is the worker's user + system time, the fairer number on a shared machine.

Usage (from the repository root; run scripts/bench_prepare.py first):
    python3 scripts/bench_gbdt.py [--bench-dir DIR] [--impl xgboost,sklearn,anomalab] [NAME ...]
NAME is any of nslkdd_binary nslkdd_5class unsw_10class synthetic (default: all).
"""

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROUNDS, DEPTH, LR = 200, 6, 0.1
ALL = ["nslkdd_binary", "nslkdd_5class", "unsw_10class", "synthetic"]
DEFAULT_DIR = os.environ.get("ANOMALAB_BENCH_DIR", "/var/tmp/anomalab-bench")


def worker(impl, bench_dir, name, proba_out):
    """Fit + predict in this process; write test probabilities; print one JSON line."""
    from bench_prepare import load

    xtr, ytr, xte, _yte, meta = load(bench_dir, name)
    if impl == "xgboost":
        import xgboost as xgb

        m = xgb.XGBClassifier(
            n_estimators=ROUNDS, max_depth=DEPTH, learning_rate=LR, reg_lambda=1.0,
            tree_method="hist", max_bin=256, n_jobs=2,
        )
        t0 = time.perf_counter()
        m.fit(xtr, ytr)
        fit_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        p = m.predict_proba(xte)
        predict_s = time.perf_counter() - t1
        size = len(m.get_booster().save_raw("ubj"))
    elif impl == "sklearn":
        from sklearn.ensemble import HistGradientBoostingClassifier

        m = HistGradientBoostingClassifier(
            max_iter=ROUNDS, max_depth=DEPTH, learning_rate=LR, l2_regularization=1.0,
            max_leaf_nodes=None, max_bins=255, early_stopping=False, random_state=0,
        )
        t0 = time.perf_counter()
        m.fit(xtr, ytr)
        fit_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        p = m.predict_proba(xte)
        predict_s = time.perf_counter() - t1
        size = len(pickle.dumps(m))
    else:
        raise SystemExit(f"unknown implementation {impl}")
    np.asarray(p, dtype="<f8").tofile(proba_out)
    print(json.dumps({"fit_s": fit_s, "predict_s": predict_s, "model_bytes": size}))


def run(cmd, env):
    """Run a worker; return (its JSON, peak RSS MB, CPU seconds)."""
    with tempfile.TemporaryFile(mode="w+") as out:
        p = subprocess.Popen(cmd, stdout=out, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        out.seek(0)
        text = out.read()
    if status != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({status}):\n{text}")
    line = [l for l in text.splitlines() if l.startswith("{")][-1]
    return json.loads(line), ru.ru_maxrss / 1024.0, ru.ru_utime + ru.ru_stime


def metrics(y, p, k):
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    pred = p.argmax(axis=1)
    acc = accuracy_score(y, pred)
    f1 = f1_score(y, pred, average="macro", labels=list(range(k)), zero_division=0)
    try:
        if k == 2:
            auc = roc_auc_score(y, p[:, 1])
        else:
            auc = roc_auc_score(y, p, multi_class="ovr", average="macro", labels=list(range(k)))
    except ValueError:
        auc = float("nan")
    return acc, f1, auc


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:6])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--bench-dir", default=DEFAULT_DIR)
    ap.add_argument("--impl", default="xgboost,sklearn,anomalab")
    args = ap.parse_args()
    names = args.names or ALL
    impls = args.impl.split(",")
    from bench_prepare import load

    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "release" / "examples" / "bench_gbdt"
    if "anomalab" in impls:
        subprocess.run(
            ["cargo", "build", "--release", "-q", "-p", "anomalab-learn", "--example", "bench_gbdt"],
            cwd=ROOT, check=True,
        )
    env = dict(os.environ, OMP_NUM_THREADS="2", RAYON_NUM_THREADS="2")
    rows = []
    tmp = tempfile.mkdtemp(prefix="bench-gbdt-")
    for name in names:
        _xtr, _ytr, _xte, yte, meta = load(args.bench_dir, name)
        k = meta["n_classes"]
        xgb_fit = None
        for impl in impls:
            proba = os.path.join(tmp, f"{name}.{impl}.f64")
            if impl == "anomalab":
                cmd = [str(binary), args.bench_dir, name, str(ROUNDS), str(DEPTH), str(LR), proba]
            else:
                cmd = [sys.executable, __file__, "--worker", impl, args.bench_dir, name, proba]
            res, rss, cpu = run(cmd, env)
            p = np.fromfile(proba, dtype="<f8").reshape(len(yte), k)
            acc, f1, auc = metrics(yte, p, k)
            if impl == "xgboost":
                xgb_fit = res["fit_s"]
            rows.append((name, impl, res["fit_s"], cpu, res["predict_s"], acc, f1, auc, rss,
                         res["model_bytes"], xgb_fit / res["fit_s"] if xgb_fit else float("nan")))
            print(f"done {name} {impl}: fit {res['fit_s']:.2f} s", file=sys.stderr, flush=True)
    head = ("dataset", "impl", "fit s", "CPU s", "predict s", "accuracy", "F1 macro", "ROC-AUC",
            "peak RSS MB", "model KB", "x xgb fit")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.1f} | {r[4]:.3f} | {r[5]:.4f} | {r[6]:.4f} "
              f"| {r[7]:.4f} | {r[8]:.0f} | {r[9] / 1024:.0f} | {r[10]:.2f} |")


if __name__ == "__main__":
    main()
