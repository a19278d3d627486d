#!/usr/bin/env python3
"""scikit-learn's numbers for the configurations of experiments/ensembles.yaml.

What it measures (a benchmark, not a test): for each model of the experiment, the matching
scikit-learn estimator fitted on KDDTrain+ and scored on KDDTest+ (binary: normal = 0,
attack = 1): test accuracy, F1 macro, ROC AUC (from predict_proba; hard voting has none),
the out-of-bag score where asked, fit and predict wall seconds and the CPU seconds of both
(getrusage, user + system, this process). Optionally the same numbers of an anomalab run
read from its results.json, side by side.

Features as the experiment's preprocessing: the 37 non-constant numeric columns
(num_outbound_cmds dropped) plus one-hot protocol_type / service / flag fitted on
KDDTrain+ (unseen test categories -> zeros), then standard scaling of every column fitted
on KDDTrain+ (121 columns; scripts/bench_classic.py's loader without the dropped column).

| experiment model | scikit-learn |
|---|---|
| logistic_regression | LogisticRegression() |
| gaussian_nb | GaussianNB() |
| decision_tree (max_depth 10) | DecisionTreeClassifier(max_depth=10, random_state=0) |
| voting_soft / voting_hard | VotingClassifier([lr, nb, tree10], voting=soft / hard) |
| bagging | BaggingClassifier(DecisionTreeClassifier(), n_estimators=10, oob_score=True, random_state=0) |
| stacking | StackingClassifier([lr, nb, tree10], final_estimator=LogisticRegression(), cv=5) |

scikit-learn runs single-threaded (n_jobs=None everywhere); compare CPU seconds, not wall.

Run from the repository root:

    python3 scripts/bench_ensembles.py [--data DIR] [--results reports/nsl_kdd_ensembles/results.json]
"""

import argparse
import json
import os
import resource
import sys
import time

import numpy as np
from sklearn.ensemble import BaggingClassifier, StackingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_classic as bc  # noqa: E402


def members():
    return [("lr", LogisticRegression()), ("nb", GaussianNB()),
            ("tree", DecisionTreeClassifier(max_depth=10, random_state=0))]


MODELS = {
    "logistic_regression": lambda: LogisticRegression(),
    "gaussian_nb": lambda: GaussianNB(),
    "decision_tree": lambda: DecisionTreeClassifier(max_depth=10, random_state=0),
    "voting_soft": lambda: VotingClassifier(members(), voting="soft"),
    "voting_hard": lambda: VotingClassifier(members(), voting="hard"),
    "bagging": lambda: BaggingClassifier(DecisionTreeClassifier(), n_estimators=10,
                                         oob_score=True, random_state=0),
    "stacking": lambda: StackingClassifier(members(), final_estimator=LogisticRegression(), cv=5),
}


def load(data_dir):
    xtr, ytr, xte, yte = bc.load(data_dir)
    numeric = [c for c in bc.nsl_columns(data_dir)[:-2] if c not in bc.SYMBOLIC]
    keep = [j for j in range(xtr.shape[1]) if j != numeric.index("num_outbound_cmds")]
    return xtr[:, keep], ytr, xte[:, keep], yte


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(name, est, xtr, ytr, xte, yte):
    c0, t0 = cpu(), time.perf_counter()
    est.fit(xtr, ytr)
    c1, t1 = cpu(), time.perf_counter()
    pred = est.predict(xte)
    proba = est.predict_proba(xte)[:, 1] if hasattr(est, "predict_proba") else None
    c2, t2 = cpu(), time.perf_counter()
    return {
        "model": name,
        "accuracy": float((pred == yte).mean()),
        "f1_macro": float(f1_score(yte, pred, average="macro")),
        "roc_auc": None if proba is None else float(roc_auc_score(yte, proba)),
        "oob": getattr(est, "oob_score_", None),
        "fit_s": t1 - t0, "predict_s": t2 - t1, "cpu_s": (c1 - c0) + (c2 - c1),
    }


def ours(path):
    """model name -> (accuracy, f1_macro, roc_auc, oob) of each trial in an anomalab results.json."""
    out = {}
    for t in json.load(open(path))["trials"]:
        m = t.get("mean") or {}
        diag = (t.get("folds") or [{}])[0].get("diagnostics") or {}
        out[t["model"]] = (m.get("accuracy"), m.get("f1_macro"), m.get("roc_auc"), diag.get("oob_score"))
    return out


def fmt(x, d=4):
    return "-" if x is None else f"{x:.{d}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("ANOMALAB_DATA_DIR", "../shared/datasets"))
    ap.add_argument("--results", help="an anomalab results.json of experiments/ensembles.yaml")
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    xtr, ytr, xte, yte = load(args.data)
    print(f"train {xtr.shape}, test {xte.shape}")
    mine = ours(args.results) if args.results else {}
    print("| model | sklearn acc | sklearn F1 macro | sklearn AUC | sklearn OOB | sklearn fit s | "
          "sklearn predict s | sklearn CPU s | ours acc | ours F1 macro | ours AUC | ours OOB |")
    print("|---" * 12 + "|")
    for name in args.models.split(","):
        r = run(name, MODELS[name](), xtr, ytr, xte, yte)
        o = mine.get(name, (None,) * 4)
        print(f"| {name} | {fmt(r['accuracy'])} | {fmt(r['f1_macro'])} | {fmt(r['roc_auc'])} | "
              f"{fmt(r['oob'])} | {fmt(r['fit_s'], 2)} | {fmt(r['predict_s'], 2)} | {fmt(r['cpu_s'], 2)} | "
              f"{fmt(o[0])} | {fmt(o[1])} | {fmt(o[2])} | {fmt(o[3])} |", flush=True)


if __name__ == "__main__":
    main()
