#!/usr/bin/env python3
"""Quality of anomalab's linear models against scikit-learn's over UNSW-NB15 split seeds.

For each split seed (stratified 70/30 of the 82,332-row partition, ten attack_cat classes,
one-hot + standard scaling fitted on the 70 %, as `bench_classic.py --dataset unsw`): test
accuracy and F1 macro of our `linear_svm` / `logistic_regression` (max_iter 1000) and of
scikit-learn's `LinearSVC()` / `LogisticRegression(max_iter=1000)`, then per model the mean
difference (ours - scikit-learn) with a 95 % t interval over the seeds. Fit times are
printed too but this is a quality benchmark: time them with bench_classic.py.

scikit-learn's results are kept in --cache (a JSON file) so that a rerun after a change to
our side only refits ours.

    python3 scripts/bench_linear_seeds.py [--seeds 0,1,2,3,4] [--models linear_svm,logistic_regression]
        [--threads 2] [--cache FILE] [--sklearn-only]
"""

import argparse
import json
import os
import sys
import tempfile

import numpy as np
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_classic as bc  # noqa: E402

MODELS = {
    "linear_svm": ({}, lambda: LinearSVC()),
    "logistic_regression": ({"max_iter": 1000}, lambda: LogisticRegression(max_iter=1000)),
}


def scores(y, p):
    return float((p == y).mean()), float(f1_score(y, p, average="macro"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("ANOMALAB_DATA_DIR", os.path.join(bc.ROOT, "..", "shared", "datasets")))
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "anomalab-linear-seeds-sklearn.json"))
    ap.add_argument("--sklearn-only", action="store_true", help="fill the cache, fit nothing of ours")
    ap.add_argument("--models", default=",".join(MODELS), help="comma list of " + ",".join(MODELS))
    a = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", os.path.join(bc.ROOT, "target"))
    if a.threads:
        env["RAYON_NUM_THREADS"] = str(a.threads)
    cache = json.load(open(a.cache)) if os.path.exists(a.cache) else {}
    tmp = tempfile.mkdtemp(prefix="anomalab-linear-seeds-")
    rows = []
    for seed in [int(s) for s in a.seeds.split(",")]:
        xtr, ytr, xte, yte = bc.load_unsw(a.data, seed)
        for name in a.models.split(","):
            params, make = MODELS[name]
            key = f"{name}/{seed}"
            if key not in cache:
                fit_s, _, pred, cpu = bc.theirs(make(), xtr, ytr, xte)
                cache[key] = {"fit_s": fit_s, "cpu_s": cpu, "scores": scores(yte, pred)}
                json.dump(cache, open(a.cache, "w"))
            if a.sklearn_only:
                continue
            r, pred = bc.ours(env, tmp, name, "native", xtr, ytr, xte, params)
            rows.append((name, seed, r["fit_s"], cache[key]["fit_s"], scores(yte, pred), cache[key]["scores"]))
            print(f"  done {key}", file=sys.stderr, flush=True)
    if a.sklearn_only:
        return
    print(f"{'model':22s} {'seed':>4} {'fit ours':>8} {'fit skl':>8} {'acc ours':>8} {'acc skl':>8} {'f1m ours':>8} {'f1m skl':>8}")
    for name, seed, fo, fs, (ao, fo1), (as_, fs1) in rows:
        print(f"{name:22s} {seed:>4} {fo:>8.2f} {fs:>8.2f} {ao:>8.4f} {as_:>8.4f} {fo1:>8.4f} {fs1:>8.4f}")
    print("\nmean difference ours - scikit-learn, 95 % t interval over the seeds:")
    for name in a.models.split(","):
        mine = [r for r in rows if r[0] == name]
        for i, what in enumerate(("accuracy", "F1 macro")):
            d = np.array([r[4][i] - r[5][i] for r in mine])
            half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
            print(f"  {name:22s} {what:9s} {d.mean():+.5f} [{d.mean() - half:+.5f}, {d.mean() + half:+.5f}]")


if __name__ == "__main__":
    sys.exit(main())
