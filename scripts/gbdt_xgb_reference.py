#!/usr/bin/env python3
"""Reference values from XGBoost for the native gradient boosting tests.

What it computes: on a small deterministic dataset (60 rows, 3 features with few distinct
values, so XGBoost's `hist` cuts are the exact distinct values), it trains XGBoost with
fixed initial margins (`DMatrix.set_base_margin`, equal to the class-prior margins the
native learner uses) and records the trees' split features, leaf values and the training
margins:

* `binary_depth1`:  binary:logistic, 1 round, max_depth=1, eta=1, lambda=1, min_child_weight=1
* `multi_depth1`:   multi:softprob num_class=3, same settings (one tree per class)
* `binary_depth3`:  binary:logistic, 3 rounds, max_depth=3, eta=0.3, lambda=1

Exact call (per case):
    xgb.train({"objective": ..., "tree_method": "hist", "max_depth": d, "eta": eta,
               "lambda": 1.0, "gamma": 0.0, "min_child_weight": 1.0, "max_bin": 256,
               "nthread": 1, ["num_class": 3]}, dtrain, num_boost_round=rounds)
    margins = booster.predict(dtrain, output_margin=True)

Run from the repository root:
    python3 scripts/gbdt_xgb_reference.py
It writes crates/anomalab-learn/src/gbdt/xgb_reference.json (committed; read by the Rust
tests in crates/anomalab-learn/src/gbdt/tests.rs).
"""
import json
import math
import os

import numpy as np
import xgboost as xgb

N = 60


def dataset():
    rng = np.random.default_rng(20261122)
    x0 = rng.integers(0, 8, N).astype(float)
    x1 = np.round(rng.normal(0, 2, N) * 2) / 2  # multiples of 0.5
    x2 = rng.integers(0, 4, N).astype(float) * 1.5
    X = np.stack([x0, x1, x2], axis=1)
    score = 0.6 * x0 - 0.8 * x1 + 0.3 * x2 + rng.normal(0, 1.5, N)
    yb = (score > 2.0).astype(int)
    ym = np.digitize(score, [1.0, 3.5]).astype(int)  # 3 classes
    return X, yb, ym


def prior_margins(y, k):
    counts = np.bincount(y, minlength=k).astype(float)
    p = np.clip(counts / len(y), 1e-12, 1 - 1e-12)
    if k == 2:
        return [math.log(p[1] / (1 - p[1]))]
    return [math.log(v) for v in p]


def run(X, y, k, depth, rounds, eta):
    base = prior_margins(y, k)
    d = xgb.DMatrix(X, label=y)
    if k == 2:
        d.set_base_margin(np.full(len(y), base[0]))
    else:
        d.set_base_margin(np.tile(np.array(base), (len(y), 1)).ravel())
    params = {
        "tree_method": "hist",
        "max_depth": depth,
        "eta": eta,
        "lambda": 1.0,
        "gamma": 0.0,
        "min_child_weight": 1.0,
        "max_bin": 256,
        "nthread": 1,
    }
    if k == 2:
        params["objective"] = "binary:logistic"
    else:
        params["objective"] = "multi:softprob"
        params["num_class"] = k
    bst = xgb.train(params, d, num_boost_round=rounds)
    margins = bst.predict(d, output_margin=True)
    trees = []
    for t in bst.get_dump(dump_format="json", with_stats=True):
        j = json.loads(t)
        if "leaf" in j:
            trees.append({"leaf": j["leaf"]})
        else:
            kids = {c["nodeid"]: c for c in j["children"]}
            trees.append(
                {
                    "split_feature": int(j["split"][1:]),
                    "split_condition": j["split_condition"],
                    "gain": j["gain"],
                    "left_leaf": kids[j["yes"]].get("leaf"),
                    "right_leaf": kids[j["no"]].get("leaf"),
                }
            )
    return {
        "n_classes": k,
        "max_depth": depth,
        "rounds": rounds,
        "eta": eta,
        "base_margin": base,
        "trees": trees if depth == 1 else [],
        "margins": np.asarray(margins, dtype=float).reshape(len(y), -1).tolist(),
    }


def main():
    X, yb, ym = dataset()
    out = {
        "xgboost_version": xgb.__version__,
        "x": X.tolist(),
        "y_binary": yb.tolist(),
        "y_multi": ym.tolist(),
        "binary_depth1": run(X, yb, 2, 1, 1, 1.0),
        "multi_depth1": run(X, ym, 3, 1, 1, 1.0),
        "binary_depth3": run(X, yb, 2, 3, 3, 0.3),
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "crates", "anomalab-learn", "src", "gbdt", "xgb_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
