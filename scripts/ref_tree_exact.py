#!/usr/bin/env python3
"""Reference trees of scikit-learn for the decision tree's exact splits.

What it computes: a fixed, seeded 3-class data set whose five features each have far more
distinct values than the tree's 255 bins (float32-representable values, so scikit-learn's
cast of X to float32 changes nothing), split into train and test, and three
DecisionTreeClassifier configurations (depth-first and best-first, gini and entropy)
fitted on it: the (feature, threshold) of every internal node, the number of leaves, and
predict_proba on the test rows. Only configurations whose tree is the same for
random_state 0..19 are kept (the script checks it): there, no two candidate splits of a
node tie, so the tree does not depend on the order in which features are visited (deeper
trees on this data do tie: scikit-learn's own tree then changes with random_state).

Output: crates/anomalab-learn/tests/reference/tree_exact.json (committed; read by
crates/anomalab-learn/tests/tree_exact_reference.rs).

Run from the repository root:
    python3 scripts/ref_tree_exact.py
"""

import json
import os

import numpy as np
import sklearn
from sklearn.tree import DecisionTreeClassifier

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "crates",
    "anomalab-learn",
    "tests",
    "reference",
    "tree_exact.json",
)


def data():
    rng = np.random.default_rng(20261206)
    n = 2000
    x = rng.normal(size=(n, 5)).astype(np.float32)
    x[:, 1] = np.exp(x[:, 1] * 2).astype(np.float32)  # skewed, like byte counts
    score = x[:, 0] + 0.5 * np.log(x[:, 1]) - 0.8 * x[:, 2] * x[:, 3]
    score += rng.normal(scale=0.7, size=n)
    y = np.digitize(score, [-0.6, 0.6]).astype(np.int64)
    return x.astype(np.float64), y


def internal_nodes(t):
    tr = t.tree_
    nodes = [
        [int(tr.feature[i]), float(tr.threshold[i])]
        for i in range(tr.node_count)
        if tr.children_left[i] != -1
    ]
    return sorted(nodes)


def main():
    x, y = data()
    xtr, ytr, xte = x[:1500], y[:1500], x[1500:]
    cases = []
    for params in [
        {"max_depth": 4, "min_samples_leaf": 8},
        {"max_leaf_nodes": 60, "min_samples_leaf": 8},
        {"max_leaf_nodes": 40, "min_samples_leaf": 8, "criterion": "entropy"},
    ]:
        t = DecisionTreeClassifier(random_state=0, **params).fit(xtr, ytr)
        for rs in range(1, 20):
            other = DecisionTreeClassifier(random_state=rs, **params).fit(xtr, ytr)
            assert internal_nodes(other) == internal_nodes(t), f"{params}: ties"
        cases.append(
            {
                "call": f"DecisionTreeClassifier(random_state=0, **{params})",
                "params": params,
                "nodes": internal_nodes(t),
                "n_leaves": int(t.get_n_leaves()),
                "proba": t.predict_proba(xte).tolist(),
            }
        )
    out = {
        "generator": "scripts/ref_tree_exact.py",
        "sklearn": sklearn.__version__,
        "x_train": xtr.tolist(),
        "y_train": ytr.tolist(),
        "x_test": xte.tolist(),
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(out, f)
    for c in cases:
        print(c["call"], "leaves", c["n_leaves"], "internal", len(c["nodes"]))


if __name__ == "__main__":
    main()
