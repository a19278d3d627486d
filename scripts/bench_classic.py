#!/usr/bin/env python3
"""Benchmark anomalab's classic learners and metrics against scikit-learn on NSL-KDD.

What it measures (a benchmark, not a test: it prints a table, nothing asserts a time):
for each learner, fit and predict wall time of ours and of the matching scikit-learn
estimator on the same matrices, test accuracy and F1 macro of both, and the fraction of test rows on
which the two predict the same class. Then the time of the full classification metric set
(confusion, P/R/F1 micro/macro/weighted, one-vs-rest ROC-AUC and average precision) on
100,000 rows x 5 classes, ours vs the equivalent scikit-learn calls.

Data: KDDTrain+ / KDDTest+ (label normal = 0, any attack = 1). Features: the 38 numeric
columns plus one-hot of protocol_type / service / flag fitted on KDDTrain+ (unknown test
categories -> zeros), standard scaling fitted on KDDTrain+ (122 columns).

| learner (ours)               | scikit-learn                                   | train rows        |
|------------------------------|------------------------------------------------|-------------------|
| knn (k=5)                    | KNeighborsClassifier(n_neighbors=5)             | --knn-train sample; --knn-queries test rows |
| linear_svm                   | LinearSVC()                                     | all               |
| logistic_regression          | LogisticRegression(max_iter=--logistic-max-iter) | all              |
| gaussian_nb/linfa            | GaussianNB()                                    | all               |
| svc/smartcore                | SVC() (binary, so one-vs-rest = one-vs-one)     | --svc-train sample|
| decision_tree/smartcore,linfa| DecisionTreeClassifier(max_depth=20)            | all               |
| random_forest/smartcore      | RandomForestClassifier(n_estimators=20)         | --rf-train sample |

Samples are seeded (numpy default_rng(0)). The Rust side is the example binary
`bench_classic` of crates/anomalab-learn, built here in release mode; matrices are handed
over as `.amx` files (see the example's header).

Run from the repository root:

    python3 scripts/bench_classic.py [--data DIR] [--threads N] [--skip knn,svc,trees,forest,...]
        [--dataset nsl|unsw] [--split-seed S] [--logistic-max-iter N]

The linear models against bench_wholerun.py's settings, UNSW-NB15 split seed 0:

    python3 scripts/bench_classic.py --dataset unsw --threads 2 --logistic-max-iter 1000 \
        --skip knn,nb,svc,trees,forest,metrics

DIR defaults to $ANOMALAB_DATA_DIR, else ../shared/datasets relative to the repository root.
--threads sets RAYON_NUM_THREADS for ours (default: all cores). scikit-learn runs with its
defaults (KNeighborsClassifier n_jobs=None, but its distance kernels use OpenMP threads =
cores; the others are single-threaded).
"""

import argparse
import resource
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

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
    ytr = (tr["label"] != "normal").to_numpy().astype(np.int64)
    yte = (te["label"] != "normal").to_numpy().astype(np.int64)
    return xtr, ytr, xte, yte


def load_unsw(data_dir, split_seed=0):
    """UNSW-NB15's 82,332-row partition, the ten attack_cat classes, stratified 70/30
    (seed `split_seed`); proto/service/state one-hot, then standard scaling, fitted on the
    70 %."""
    from sklearn.model_selection import train_test_split
    df = pd.read_csv(os.path.join(data_dir, "unsw-nb15", "UNSW_NB15_training-set.csv.gz"),
                     encoding="utf-8-sig")
    y = pd.factorize(df["attack_cat"], sort=True)[0].astype(np.int64)
    symbolic = ["proto", "service", "state"]
    numeric = [c for c in df.columns if c not in symbolic + ["id", "attack_cat", "label"]]
    tr, te, ytr, yte = train_test_split(df, y, test_size=0.3, stratify=y, random_state=split_seed)
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(tr[symbolic])

    def mat(d):
        return np.hstack([d[numeric].to_numpy(dtype=np.float64), enc.transform(d[symbolic])])

    sc = StandardScaler().fit(mat(tr))
    return sc.transform(mat(tr)), ytr, sc.transform(mat(te)), yte


def write_amx(path, x):
    x = np.ascontiguousarray(x, dtype="<f8")
    with open(path, "wb") as f:
        f.write(b"AMX1")
        f.write(np.array([x.shape[0], x.shape[1]], dtype="<u8").tobytes())
        f.write(x.tobytes())


def exe(env):
    return os.path.join(env["CARGO_TARGET_DIR"], "release", "examples", "bench_classic")


def ours(env, tmp, name, backend, xtr, ytr, xte, params):
    write_amx(os.path.join(tmp, "tr.amx"), xtr)
    ytr.astype("<i8").tofile(os.path.join(tmp, "tr.i64"))
    write_amx(os.path.join(tmp, "te.amx"), xte)
    pred_path = os.path.join(tmp, "pred.i64")
    args = [exe(env), "fit", name, backend, os.path.join(tmp, "tr.amx"), os.path.join(tmp, "tr.i64"),
            os.path.join(tmp, "te.amx"), pred_path] + [f"{k}={v}" for k, v in params.items()]
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = json.loads(out.stdout)
    # CPU seconds of the whole child process (reading the matrices included).
    r["cpu_s"] = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    return r, np.fromfile(pred_path, dtype="<i8")


def theirs(est, xtr, ytr, xte):
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    est.fit(xtr, ytr)
    t1 = time.perf_counter()
    pred = est.predict(xte)
    t2 = time.perf_counter()
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    return t1 - t0, t2 - t1, pred, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("ANOMALAB_DATA_DIR", os.path.join(ROOT, "..", "shared", "datasets")))
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--dataset", choices=["nsl", "unsw"], default="nsl",
                    help="nsl: KDDTrain+ -> KDDTest+ (binary); unsw: UNSW-NB15 10 classes, stratified 70/30")
    ap.add_argument("--knn-train", type=int, default=50000)
    ap.add_argument("--knn-queries", type=int, default=20000)
    ap.add_argument("--svc-train", type=int, default=5000)
    ap.add_argument("--rf-train", type=int, default=20000)
    ap.add_argument("--skip", default="", help="comma list of knn,linear_svm,logistic,nb,svc,trees,forest,metrics")
    ap.add_argument("--split-seed", type=int, default=0, help="unsw: seed of the stratified 70/30 split")
    ap.add_argument("--logistic-max-iter", type=int, default=100,
                    help="max_iter of both logistic regressions (bench_wholerun.py uses 1000)")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    if a.threads:
        env["RAYON_NUM_THREADS"] = str(a.threads)
    subprocess.run(["cargo", "build", "--release", "-p", "anomalab-learn", "--example", "bench_classic"],
                   check=True, cwd=ROOT, env=env)
    xtr, ytr, xte, yte = load_unsw(a.data, a.split_seed) if a.dataset == "unsw" else load(a.data)
    print(f"{'UNSW-NB15 10 classes' if a.dataset == 'unsw' else 'NSL-KDD'}: train {xtr.shape}, test {xte.shape}")
    tmp = tempfile.mkdtemp(prefix="anomalab-bench-classic-")
    rng = np.random.default_rng(0)

    def sample(n):
        idx = np.sort(rng.choice(xtr.shape[0], size=min(n, xtr.shape[0]), replace=False))
        return xtr[idx], ytr[idx]

    plan = []
    if "knn" not in skip:
        xs, ys = sample(a.knn_train)
        q = xte[: a.knn_queries]
        plan.append(("knn", "native", {"n_neighbors": 5}, KNeighborsClassifier(n_neighbors=5), xs, ys, q, yte[: len(q)]))
    if "linear_svm" not in skip:
        plan.append(("linear_svm", "native", {}, LinearSVC(), xtr, ytr, xte, yte))
    if "logistic" not in skip:
        it = a.logistic_max_iter
        plan.append(("logistic_regression", "native", {"max_iter": it}, LogisticRegression(max_iter=it),
                     xtr, ytr, xte, yte))
    if "nb" not in skip:
        plan.append(("gaussian_nb", "linfa", {}, GaussianNB(), xtr, ytr, xte, yte))
    if "svc" not in skip:
        xs, ys = sample(a.svc_train)
        plan.append(("svc", "smartcore", {}, SVC(), xs, ys, xte, yte))
    if "trees" not in skip:
        for backend in ("smartcore", "linfa"):
            plan.append(("decision_tree", backend, {"max_depth": 20}, DecisionTreeClassifier(max_depth=20, random_state=0), xtr, ytr, xte, yte))
    if "forest" not in skip:
        xs, ys = sample(a.rf_train)
        plan.append(("random_forest", "smartcore", {"n_estimators": 20}, RandomForestClassifier(n_estimators=20, random_state=0), xs, ys, xte, yte))

    rows = []
    for name, backend, params, est, xa, ya, xb, yb in plan:
        r, p = ours(env, tmp, name, backend, xa, ya, xb, params)
        sf, sp, sk, scpu = theirs(est, xa, ya, xb)
        rows.append((f"{name}/{backend}", xa.shape[0], xb.shape[0], r["fit_s"], r["predict_s"], sf, sp,
                     float((p == yb).mean()), float((sk == yb).mean()), float((p == sk).mean()), r["threads"],
                     r["cpu_s"], scpu, f1_score(yb, p, average="macro"), f1_score(yb, sk, average="macro"),
                     r.get("fit_cpu_s", float("nan"))))
        print(f"  done {name}/{backend}", file=sys.stderr)

    hdr = (f"{'model':28s} {'train':>7} {'test':>6} {'ours fit':>9} {'ours pred':>9} {'skl fit':>9} "
           f"{'skl pred':>9} {'cpu fit':>9} {'cpu ours':>9} {'cpu skl':>9} {'acc ours':>8} {'acc skl':>8} {'f1m ours':>8} "
           f"{'f1m skl':>8} {'agree':>6}")
    print("\nWall times in seconds (ours with {} threads); cpu = user + system CPU seconds of fit +"
          " predict (ours: the whole driver process, reading the matrices included; cpu fit: ours,"
          " the fit alone), which is the fairer figure on a shared machine.".format(rows[0][10] if rows else "?"))
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r[0]:28s} {r[1]:>7} {r[2]:>6} {r[3]:>9.3f} {r[4]:>9.3f} {r[5]:>9.3f} {r[6]:>9.3f} "
              f"{r[15]:>9.3f} {r[11]:>9.3f} {r[12]:>9.3f} {r[7]:>8.4f} {r[8]:>8.4f} {r[13]:>8.4f} {r[14]:>8.4f} {r[9]:>6.3f}")

    if "metrics" not in skip:
        out = subprocess.run([exe(env), "metrics", "100000", "5", "1"], check=True, capture_output=True,
                             text=True, env=env)
        r = json.loads(out.stdout)
        # Same kind of data for scikit-learn (its own draw: only the time is compared).
        g = np.random.default_rng(1)
        y = g.integers(0, 5, 100000)
        s = g.random((100000, 5))
        s[np.arange(100000), y] += 0.5
        s /= s.sum(axis=1, keepdims=True)
        pred = s.argmax(axis=1)
        t0 = time.perf_counter()
        labels = list(range(5))
        confusion_matrix(y, pred, labels=labels)
        for avg in ("micro", "macro", "weighted", None):
            precision_recall_fscore_support(y, pred, labels=labels, average=avg, zero_division=0)
        balanced_accuracy_score(y, pred)
        for k in labels:
            roc_auc_score(y == k, s[:, k])
            average_precision_score(y == k, s[:, k])
        sk_t = time.perf_counter() - t0
        print(f"\nmetrics on 100,000 rows x 5 classes: ours {r['metrics_s']:.3f} s, scikit-learn {sk_t:.3f} s")


if __name__ == "__main__":
    sys.exit(main())
